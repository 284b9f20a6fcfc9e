using System.Globalization;
using ServerlessGenServer.Engine.Hosting;

// Runs the app's GenServers on the engine until its standard input closes (or it is killed).
// Arguments: <task hub> <control-queue visibility timeout in seconds>; the storage connection string comes from the
// environment variable ENGINE_CONNECTION_STRING. Prints "ready" once the worker is processing.
if (args.Length != 2 || Environment.GetEnvironmentVariable(EngineWorker.ConnectionStringVariable) is not { Length: > 0 } connectionString)
{
    await Console.Error.WriteLineAsync($"usage: {EngineWorker.ConnectionStringVariable}=... ServerlessGenServer.Engine.Worker <task hub> <visibility timeout s>");
    return 2;
}

await using var host = await EngineHost.StartAsync(new EngineHostOptions
{
    ConnectionString = connectionString,
    TaskHubName = args[0],
    ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(int.Parse(args[1], CultureInfo.InvariantCulture)),
});
await Console.Out.WriteLineAsync(EngineWorker.ReadyLine);
await Console.Out.FlushAsync();
await Console.In.ReadToEndAsync(); // the parent closes stdin to ask for a graceful stop
return 0;

internal static class EngineWorker
{
    public const string ConnectionStringVariable = "ENGINE_CONNECTION_STRING";
    public const string ReadyLine = "ready";
}
