// SharedConfig: several members in one process share a configuration through a state synchronizer and elect a leader
// with LeaderElection. Each member follows the configuration and prints each change it sees; the leader (whoever holds
// the lease) changes the configuration now and then. Halfway, the leader stops renewing its lease (as if it hung): the
// lead passes to another member once the lease expires, and the configuration goes on changing under the new leader.
using System.Globalization;
using System.Text.Json;
using Pravega.Embedded;

string root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "pravega-sharedconfig-" + Guid.NewGuid().ToString("N"));
bool temporary = args.Length == 0;
var lease = TimeSpan.FromSeconds(1);
var config = Serializers.Json<Dictionary<string, string>>();
var change = Serializers.Json<KeyValuePair<string, string>>();
static string Next(string version) => (int.Parse(version, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
static Dictionary<string, string> Apply(Dictionary<string, string> state, KeyValuePair<string, string> set) =>
    new(state) { [set.Key] = set.Value };

try
{
    await using var store = await StreamStore.OpenAsync(StreamStoreOptions.InDirectory(root));
    await store.Streams.CreateScopeAsync("app");
    string[] names = ["alpha", "beta", "gamma"];
    var members = new List<(string Name, IStateSynchronizer<Dictionary<string, string>, KeyValuePair<string, string>> Config, LeaderElection Election)>();
    foreach (string name in names)
    {
        var sync = await store.CreateStateSynchronizerAsync("app", "config", config, change, Apply);
        await sync.InitializeAsync(new Dictionary<string, string> { ["mode"] = "start" }); // the first member's wins
        members.Add((name, sync, await LeaderElection.JoinAsync(store, "app", "leader", name, new LeaderElectionOptions { LeaseDuration = lease })));
    }

    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
    string? hung = null; // the member that stops renewing its lease halfway
    var started = DateTime.UtcNow;
    var loops = members.Select(m => Task.Run(async () =>
    {
        long seen = -1;
        bool led = false;
        for (int tick = 0; !stop.IsCancellationRequested; tick++)
        {
            if (m.Name != hung) await m.Election.TryLeadAsync();
            if (m.Election.IsLeader != led)
            {
                led = m.Election.IsLeader;
                Console.WriteLine($"{Elapsed()} {m.Name}: {(led ? "leads now" : "no longer leads")}");
            }
            if (led && tick % 3 == 0 && m.Name != hung)
            {
                if (DateTime.UtcNow - started > TimeSpan.FromSeconds(4) && hung is null)
                {
                    hung = m.Name; // from now on it neither renews nor changes anything
                    Console.WriteLine($"{Elapsed()} {m.Name}: hangs (stops renewing its lease)");
                    continue;
                }
                await m.Config.UpdateStateAsync(state => [new("version", Next(state.GetValueOrDefault("version", "0"))), new("set by", m.Name)]);
            }
            await m.Config.FetchUpdatesAsync();
            if (m.Config.Revision != seen)
            {
                seen = m.Config.Revision;
                Console.WriteLine($"{Elapsed()} {m.Name} sees {JsonSerializer.Serialize(m.Config.State)}");
            }
            try
            {
                await Task.Delay(lease / 4, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    })).ToList();
    await Task.WhenAll(loops);

    foreach (var m in members)
    {
        await m.Election.DisposeAsync();
        await m.Config.DisposeAsync();
    }
    Console.WriteLine($"{Elapsed()} done: every member saw the same configuration, one leader at a time");

    string Elapsed() => $"[{(DateTime.UtcNow - started).TotalSeconds,5:F2} s]";
}
finally
{
    if (temporary && Directory.Exists(root)) Directory.Delete(root, recursive: true);
}
