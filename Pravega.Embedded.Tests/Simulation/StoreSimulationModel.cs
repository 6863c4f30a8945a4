namespace Pravega.Embedded.Tests.Simulation;

/// <summary>How a simulated call ended, as the caller saw it.</summary>
internal enum CallOutcome
{
    /// <summary>Not resolved yet.</summary>
    Pending,

    /// <summary>Completed: a write answered <see cref="WriteResult.Written"/> (or an id-less write completed).</summary>
    Written,

    /// <summary>A write answered <see cref="WriteResult.Duplicate"/>.</summary>
    Duplicate,

    /// <summary>Failed before it reached the log (sealed or missing stream, disposed store): never present.</summary>
    NotAppended,

    /// <summary>Failed with an <see cref="IOException"/> (failed log, dead device): may or may not be present.</summary>
    Failed,

    /// <summary>Never completed before its store was abandoned: may or may not be present.</summary>
    Unknown,
}

/// <summary>A writer the workload uses, bound to one stream; a new writer object each life.</summary>
internal sealed class WriterSlot(int index, string scope, string stream, string? fixedId)
{
    public int Index { get; } = index;

    public string Scope { get; } = scope;

    public string Stream { get; } = stream;

    /// <summary>The stable writer id, or null for a writer without one (a new random id each life).</summary>
    public string? FixedId { get; } = fixedId;

    public IEventStreamWriter<string>? Writer { get; set; }

    /// <summary>The id of the current writer object.</summary>
    public string CurrentId { get; set; } = "";

    /// <summary>Calls made on the current writer object (call order).</summary>
    public int Calls { get; set; }

    /// <summary>The next fresh event number: above every number this id ever attempted.</summary>
    public long NextNumber { get; set; }

    public override string ToString() => FixedId is null ? $"writer#{Index}(no id) on {Scope}/{Stream}" : $"writer '{FixedId}' on {Scope}/{Stream}";
}

/// <summary>One call of WriteEventAsync: its payload names it, so presence is checked per attempt.</summary>
internal sealed class Attempt
{
    public required int Id { get; init; }

    public required WriterSlot Slot { get; init; }

    /// <summary>The writer id the call was made with.</summary>
    public required string WriterId { get; init; }

    public required int Life { get; init; }

    /// <summary>Position in the call order of its writer object.</summary>
    public required int CallIndex { get; init; }

    public long? Number { get; init; }

    /// <summary>For a resend after recovery: the answer the model expects.</summary>
    public WriteResult? Expected { get; init; }

    /// <summary>Whether the workload called it after it had seen the log fail in this life (so it must fail).</summary>
    public bool AfterObservedFailure { get; init; }

    public required Task Task { get; init; }

    public CallOutcome Outcome { get; set; }

    public Exception? Error { get; set; }

    /// <summary>Presence decided by the first check after its life: every later check must agree.</summary>
    public bool? Settled { get; set; }

    /// <summary>A lost number the writer chose not to resend: it must stay absent.</summary>
    public bool Abandoned { get; set; }

    /// <summary>
    /// A truncation at the durable tail completed after this attempt was resolved: it must be absent from then on
    /// (<see cref="TruncationKind.Done"/>), or may be either way if the truncation's outcome is unknown.
    /// </summary>
    public TruncationKind Truncation { get; set; }

    /// <summary>Known durable when the truncation took it (its number then stays taken for exactly-once).</summary>
    public bool DurableWhenTruncated { get; set; }

    public string Payload(int padding) => $"a{Id}:{WriterId}:{Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}:" + new string('p', padding);

    public override string ToString() =>
        $"attempt a{Id} ({Slot}, life {Life}, call {CallIndex}, number {(Number is { } n ? n : "none")}, {Outcome}{(Error is null ? "" : $": {Error.GetType().Name} {Error.Message}")})";
}

/// <summary>Whether a truncation took an attempt's event.</summary>
internal enum TruncationKind
{
    None,

    /// <summary>The truncation's outcome is unknown (its call failed): the event may be there or not.</summary>
    Maybe,

    /// <summary>A completed truncation took it: it must be absent.</summary>
    Done,
}

/// <summary>A metadata call and what it proved.</summary>
internal sealed class MetadataCall
{
    public required string Description { get; init; }

    public required Task Task { get; init; }

    /// <summary>Applied to the model when the call completed: what it proved must survive.</summary>
    public required Action<SimulationModel, bool> OnCompleted { get; init; } // (model, whether the call changed something)

    public bool AfterObservedFailure { get; init; }

    /// <summary>Whether the call changed the metadata (false: a create that found the name there).</summary>
    public bool Changed { get; set; } = true;

    public CallOutcome Outcome { get; set; }

    public Exception? Error { get; set; }
}

internal sealed class StreamModel(string scope, string stream, int segments)
{
    public string Scope { get; } = scope;

    public string Stream { get; } = stream;

    /// <summary>The segment counts it may have: a create that failed may or may not have happened before a later one.</summary>
    public HashSet<int> Segments { get; } = [segments];

    /// <summary>
    /// Once it was scaled: the layouts (active segment ids and ranges) it may have now; a scale whose call failed may or
    /// may not have happened. Empty before the first scale (then <see cref="Segments"/> says what it may have).
    /// </summary>
    public HashSet<string> Layouts { get; } = new(StringComparer.Ordinal);

    /// <summary>A completed call created or observed it: it must survive.</summary>
    public bool Confirmed { get; set; }

    public bool SealAttempted { get; set; }

    /// <summary>A completed seal, or an observation of the sealed flag: the stream must stay sealed.</summary>
    public bool SealConfirmed { get; set; }

    /// <summary>As the last check saw it.</summary>
    public bool ObservedSealed { get; set; }
}

/// <summary>What the workload did and what completed calls proved; checked against the store after each recovery.</summary>
internal sealed class SimulationModel
{
    public Dictionary<string, bool> Scopes { get; } = new(StringComparer.Ordinal); // name -> confirmed

    public Dictionary<(string Scope, string Stream), StreamModel> Streams { get; } = [];

    public Dictionary<(string Scope, string Group), bool> Groups { get; } = []; // -> confirmed

    public List<Attempt> Attempts { get; } = [];

    public Dictionary<int, Attempt> AttemptsById { get; } = [];

    public List<MetadataCall> MetadataCalls { get; } = [];

    public List<WriterSlot> Slots { get; } = [];

    public List<TransactionModel> Transactions { get; } = [];
}
