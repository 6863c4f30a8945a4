namespace Pravega.Embedded.Tests.Simulation;

/// <summary>The failure the power-loss tests arm: a power failure or a crash at a seeded device change.</summary>
internal static class SimulatedFailure
{
    /// <summary>
    /// From <paramref name="random"/>, in this order: the device change to die at (in <c>[minChange, maxChange)</c>),
    /// power failure or crash, and the power failure's own seed; then arms it on <paramref name="device"/>.
    /// </summary>
    public static void Arm(SimulatedDevice device, SimulatedProcess process, Random random, int minChange, int maxChange)
    {
        int dieAt = random.Next(minChange, maxChange), changes = 0;
        bool power = random.Next(2) == 0;
        int fate = random.Next();
        device.Mutated = () =>
        {
            if (Interlocked.Increment(ref changes) != dieAt) return;
            if (power) process.PowerFail(new Random(fate));
            else process.Crash();
        };
    }

    /// <summary>
    /// Runs <paramref name="work"/> on <paramref name="store"/> until it ends or the process dies (an I/O error, or the
    /// store disposed under it), then disarms the device and disposes the store (an I/O error there is the death too).
    /// </summary>
    public static async Task RunUntilDeathAsync(SimulatedDevice device, StreamStore store, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is IOException || e.InnerException is IOException || e is ObjectDisposedException)
        {
            // the process died
        }
        finally
        {
            device.Mutated = null;
            try
            {
                await store.DisposeAsync();
            }
            catch (IOException)
            {
            }
        }
    }
}
