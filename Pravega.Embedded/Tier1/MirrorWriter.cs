namespace Pravega.Embedded.Tier1;

/// <summary>
/// A dedicated thread that writes batches to one mirror and fdatasyncs them, so the mirrors are made durable in
/// parallel and no thread-pool thread ever blocks on the disk.
/// </summary>
internal sealed class MirrorWriter : IDisposable
{
    private readonly int _mirror;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _start = new(false, spinCount: 100);
    private readonly ManualResetEventSlim _done = new(false, spinCount: 100);
    private WalFile? _file;
    private LogBatch? _batch;
    private Exception? _error;
    private volatile bool _stopping;

    public MirrorWriter(int mirror)
    {
        _mirror = mirror;
        _thread = new Thread(Run) { IsBackground = true, Name = $"pravega-wal-mirror-{mirror}" };
        _thread.Start();
    }

    public void Begin(WalFile file, LogBatch batch)
    {
        _file = file;
        _batch = batch;
        _error = null;
        _done.Reset();
        _start.Set();
    }

    /// <summary>Waits for the batch given to <see cref="Begin"/>; rethrows its failure.</summary>
    public void End()
    {
        _done.Wait();
        if (_error is { } e) throw new IOException($"Write to WAL mirror {_mirror} failed.", e);
    }

    private void Run()
    {
        while (true)
        {
            _start.Wait();
            _start.Reset();
            if (_stopping) return;
            try
            {
                _file!.WriteDurably(_mirror, _batch!.Bytes, _batch.FilePosition);
            }
#pragma warning disable CA1031 // any failure is handed to the flusher, which fails the log
            catch (Exception e)
#pragma warning restore CA1031
            {
                _error = e;
            }
            _done.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _start.Set();
        _thread.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
