using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Tests.SegmentStore;

/// <summary>
/// The container's pending effects merge appends of one segment, writer and group commit: applied commit by commit as
/// the flusher does (<c>OnDurable</c>), every segment's durable length must end at its last accepted offset and never go
/// back while a commit is applied, and every writer's durable event number must be its last accepted one.
/// </summary>
public sealed class PendingEffectsProperties
{
    private enum Op
    {
        Append,
        Other, // a seal, truncation or tiering: never merged
        TransactionMerge, // a committed transaction's bytes: an append effect, never merged
        Commit,
    }

    private sealed record Step(Op Op, int Segment, int Writer);

    private static readonly Gen<Step> Steps =
        from op in Gen.Frequency((12, Gen.Constant(Op.Append)), (1, Gen.Constant(Op.Other)), (1, Gen.Constant(Op.TransactionMerge)), (2, Gen.Constant(Op.Commit)))
        from segment in Gen.Choose(0, 11) // more than the queue tracks per commit
        from writer in Gen.Choose(0, 2) // 0: no writer
        select new Step(op, segment, writer);

    [Property(MaxTest = 300)]
    public Property Merged_effects_apply_like_the_unmerged_ones() =>
        Prop.ForAll(Steps.ListOf().Select(s => s.ToArray()).ToArbitrary(), steps => Run(steps));

    private static bool Run(Step[] steps)
    {
        var segments = Enumerable.Range(0, 12).Select(i => new Segment(1, i, "scope", "stream")).ToArray();
        var writers = new WriterState?[] { null, new(), new() };
        var accepted = new long[segments.Length];
        var durable = new long[segments.Length];
        var acceptedNumber = new long[writers.Length];
        Array.Fill(acceptedNumber, -1);
        var pending = new PendingEffects();
        long lsn = 0, commit = 1;
        foreach (var step in steps.Append(new Step(Op.Commit, 0, 0)))
        {
            switch (step.Op)
            {
                case Op.Append:
                    accepted[step.Segment] += 10;
                    acceptedNumber[step.Writer]++;
                    pending.EnqueueAppend(commit, ++lsn, segments[step.Segment], accepted[step.Segment], writers[step.Writer], acceptedNumber[step.Writer]);
                    break;
                case Op.Other:
                    pending.Enqueue(new PendingEffect(++lsn, segments[step.Segment], -1, null, SegmentContainer.NoEventNumber, EffectKind.Seal));
                    break;
                case Op.TransactionMerge:
                    accepted[step.Segment] += 30;
                    pending.Enqueue(new PendingEffect(++lsn, segments[step.Segment], accepted[step.Segment], null, SegmentContainer.NoEventNumber, EffectKind.Append));
                    break;
                case Op.Commit:
                    while (pending.TryTake(lsn, out var effect))
                    {
                        if (effect.Kind != EffectKind.Append) continue;
                        int s = Array.IndexOf(segments, effect.Segment);
                        if (effect.Offset < durable[s]) return false; // a durable length went back
                        durable[s] = effect.Offset;
                        effect.Writer?.NoteDurable(effect.EventNumber); // as the container does
                    }
                    if (!accepted.AsSpan().SequenceEqual(durable)) return false;
                    for (int w = 1; w < writers.Length; w++)
                        if (writers[w]!.DurableEventNumber != acceptedNumber[w]) return false;
                    commit = lsn + 1;
                    break;
            }
        }
        return true;
    }
}
