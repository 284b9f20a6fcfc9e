using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Http;

public sealed class HealthApiTests
{
    private readonly Clients _clients = new();
    private readonly HealthApi _api = new(NullLogger<HealthApi>.Instance);

    [Fact]
    public async Task Get_StorageReachable_Returns200()
    {
        var request = HttpTest.Request("GET");
        _clients.Client.Setup(c => c.GetInstanceAsync("health-probe", false, It.IsAny<CancellationToken>())).ReturnsAsync((OrchestrationMetadata?)null);

        var answer = await _api.Get(request, _clients.Client.Object).AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal("healthy", answer.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Get_StorageFails_Returns503()
    {
        var request = HttpTest.Request("GET");
        _clients.Client.Setup(c => c.GetInstanceAsync("health-probe", false, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new HttpRequestException("connection refused"));

        var answer = await _api.Get(request, _clients.Client.Object).AnswerAsync(request);

        answer.Problem(503);
    }
}
