using System.Net;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.EndToEnd.Tests.Support;
using ServerlessGenServer.LocalHost;

namespace ServerlessGenServer.EndToEnd.Tests;

/// <summary>A local host whose storage goes away and comes back: 503 problem+json meanwhile (health's own answer, and a cast's through the error contract), 200 after.</summary>
public sealed class StorageOutageEndToEndTests
{
    [Fact]
    public async Task Health_StorageStoppedThenRestarted_503Then200()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            Port = 0,
            Settings = new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["TASKHUB_NAME"] = TaskHubNames.Unique("outage"),
            },
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        await (await http.GetAsync("api/health")).JsonAsync(HttpStatusCode.OK);

        await azurite.StopAsync();
        var down = await http.GetAsync("api/health");
        var cast = await http.PostAsync("api/servers/counter/outage/cast/increment", null); // the function throws: the router's error contract answers
        await azurite.RestartAsync();

        await down.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        await cast.ProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("5", cast.Headers.GetValues("Retry-After").Single());
        await Eventually.WaitForAsync(() => http.GetAsync("api/health"), r => r.StatusCode == HttpStatusCode.OK, "health after the restart");
    }
}
