namespace Pravega.Embedded;

/// <summary>Options of an event writer or transactional writer.</summary>
public sealed record EventWriterOptions
{
    /// <summary>
    /// The writer's id: 1..255 characters of <c>[A-Za-z0-9._-]</c>, or null (the default) for a new random id.
    /// A stable id enables exactly-once across restarts: the store remembers the highest durable event number per
    /// writer id and stream (<see cref="IEventStreamWriter{T}.LastEventNumber"/>).
    /// </summary>
    public string? WriterId { get; init; }

    /// <summary>
    /// How long a transaction may go without a write, flush or commit before the store aborts it. Default 30 s;
    /// at least 1 s (<see cref="ArgumentOutOfRangeException"/> otherwise, when the writer is created).
    /// </summary>
    public TimeSpan TransactionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Watermarks: how long after its last <see cref="IEventStreamWriter{T}.NoteTimeAsync"/> the writer's time still holds
    /// the stream's marks (Pravega's timestamp aggregation timeout); a writer that stops noting then stops holding them
    /// back. Default 30 s; more than zero (<see cref="ArgumentOutOfRangeException"/> otherwise, when the writer is created).
    /// </summary>
    public TimeSpan TimestampAggregationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The shortest <see cref="TransactionTimeout"/> accepted.</summary>
    internal static TimeSpan MinTransactionTimeout => TimeSpan.FromSeconds(1);

    /// <summary>Checks the options given as parameter <paramref name="paramName"/>.</summary>
    /// <exception cref="ArgumentException">The writer id is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The transaction timeout is under 1 s, or the timestamp aggregation timeout is not positive.</exception>
    internal void Validate(string paramName)
    {
        if (WriterId is not null)
        {
            NameValidator.ValidateId(WriterId, paramName);
        }

        if (TransactionTimeout < MinTransactionTimeout)
        {
            ThrowHelper.ThrowArgumentOutOfRange(paramName, TransactionTimeout, "TransactionTimeout must be at least 1 second.");
        }

        if (TimestampAggregationTimeout <= TimeSpan.Zero)
        {
            ThrowHelper.ThrowArgumentOutOfRange(paramName, TimestampAggregationTimeout, "TimestampAggregationTimeout must be more than zero.");
        }
    }
}
