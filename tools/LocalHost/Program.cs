using System.Globalization;
using System.Runtime.InteropServices;
using ServerlessGenServer.LocalHost;

// The Functions app without Core Tools: `dotnet run --project tools/LocalHost [-- --port 7071]` (npm start runs it
// when func is not installed). Needs Azurite (or the account in AzureWebJobsStorage) running. Ctrl+C or SIGTERM stops it.
int? port = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--port" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
    {
        port = p;
        i++;
    }
    else
    {
        await Console.Error.WriteLineAsync($"usage: ServerlessGenServer.LocalHost [--port N]   (unknown argument '{args[i]}')");
        return 2;
    }
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});

LocalFunctionsHost host;
try
{
    host = await LocalFunctionsHost.StartAsync(new LocalHostOptions { Port = port }, stop.Token);
}
catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or OperationCanceledException)
{
    await Console.Error.WriteLineAsync($"The local host did not start: {ex.Message}");
    return 1;
}

await using (host)
{
    Console.WriteLine();
    Console.WriteLine("Functions:");
    foreach (var route in host.Router.Routes.OrderBy(r => r.Invoker.Function.Name, StringComparer.Ordinal))
    {
        Console.WriteLine($"        {route.Invoker.Function.Name}: [{string.Join(",", route.Methods)}] {host.BaseAddress}{route.Template}");
    }

    Console.WriteLine();
    Console.WriteLine($"Local host ready at {host.BaseAddress}api/health. Function keys are not enforced. Stop with Ctrl+C.");
    using var either = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, host.Stopping);
    try
    {
        await Task.Delay(Timeout.Infinite, either.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine("Stopping...");
    }
}

Console.WriteLine("Stopped.");
return 0;
