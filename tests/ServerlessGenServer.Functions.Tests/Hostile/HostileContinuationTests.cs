using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client.Entities;
using Moq;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>A continuation token the API did not hand out is a 400, checked before storage is touched where it can be.</summary>
public sealed class HostileContinuationTests
{
    private readonly Hostile _hostile = new();

    [Theory]
    [InlineData("?continuation=a%09b")]
    [InlineData("?continuation=%00")]
    [InlineData("?continuation=%1B%5B2J")]
    [InlineData("?continuation=%0D%0Ainjected")]
    [InlineData("?continuation=%7F")]
    [InlineData("?continuation=%C2%85")]
    public async Task List_ContinuationWithControlCharacters_Returns400WithoutAQuery(string query)
    {
        var request = Hostile.Request(body: null, query: query);

        var answer = await _hostile.Servers.List(request, _hostile.Clients.Client.Object, "counter").AnswerAsync(request);

        Assert.Contains("continuation", _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ContinuationTooLong_Returns400WithoutAQuery()
    {
        var request = Hostile.Request(body: null, query: "?continuation=" + new string('a', ServersApi.MaxContinuationLength + 1));

        var answer = await _hostile.Servers.List(request, _hostile.Clients.Client.Object, "counter").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
    }

    public static TheoryData<string> ParserErrors => new() { "format", "json", "argument", "invalid-operation" };

    [Theory]
    [MemberData(nameof(ParserErrors))]
    public async Task List_ContinuationTheBackendCannotRead_Returns400(string error)
    {
        var request = Hostile.Request(body: null, query: "?continuation=garbage");
        Exception thrown = error switch
        {
            "format" => new FormatException("bad base64"),
            "json" => new System.Text.Json.JsonException("'g' is an invalid start of a value."),
            "argument" => new ArgumentException("The token is not base64."),
            _ => new InvalidOperationException("Invalid continuation token."),
        };
        _hostile.Clients.Entities.Setup(e => e.GetAllEntitiesAsync(It.IsAny<EntityQuery>()))
            .Returns(Pageable.Create<EntityMetadata>((_, _, _) => throw thrown));

        var answer = await _hostile.Servers.List(request, _hostile.Clients.Client.Object, "counter").AnswerAsync(request);

        var problem = answer.Problem(StatusCodes.Status400BadRequest);
        Assert.DoesNotContain(thrown.Message, answer.Body, StringComparison.Ordinal);
        Assert.Equal("urn:serverless-genserver:problem:bad-input", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task List_NoContinuationAndTheQueryFails_IsNotBlamedOnTheClient()
    {
        var request = Hostile.Request(body: null);
        _hostile.Clients.Entities.Setup(e => e.GetAllEntitiesAsync(It.IsAny<EntityQuery>()))
            .Returns(Pageable.Create<EntityMetadata>((_, _, _) => throw new InvalidOperationException("provider bug")));

        await Assert.ThrowsAsync<InvalidOperationException>(() => _hostile.Servers.List(request, _hostile.Clients.Client.Object, "counter"));
    }

    [Fact]
    public async Task List_ContinuationAndStorageUnreachable_IsNotBlamedOnTheToken()
    {
        var request = Hostile.Request(body: null, query: "?continuation=abc");
        _hostile.Clients.Entities.Setup(e => e.GetAllEntitiesAsync(It.IsAny<EntityQuery>()))
            .Returns(Pageable.Create<EntityMetadata>((_, _, _) => throw new Azure.RequestFailedException(0, "refused")));

        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => _hostile.Servers.List(request, _hostile.Clients.Client.Object, "counter"));
    }
}
