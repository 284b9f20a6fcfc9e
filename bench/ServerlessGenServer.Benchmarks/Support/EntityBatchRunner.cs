using Google.Protobuf;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Grpc;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.GenServers;
using P = Microsoft.DurableTask.Protobuf;

namespace ServerlessGenServer.Benchmarks.Support;

/// <summary>
/// Runs a GenServer batch the way the isolated worker's entity trigger does: a base64 protobuf EntityBatchRequest
/// into <see cref="GrpcEntityRunner.LoadAndRunAsync(string, ITaskEntity, IServiceProvider?)"/>, a fresh server from
/// DI per batch (AddGenServers, as the Functions app registers it), the shim factory with the project's JSON options.
/// The clock is fixed, so every invocation does exactly the same work.
/// </summary>
public sealed class EntityBatchRunner<TServer> : IDisposable where TServer : ITaskEntity
{
    private readonly ServiceProvider _services;

    public EntityBatchRunner(DateTimeOffset now)
    {
        Time = new FakeTimeProvider(now);
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(Time)
            .AddGenServers(new ConfigurationBuilder().Build());
        services.AddSingleton(sp => new DurableTaskShimFactory(
            new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(GenServerJson.Options), EnableEntitySupport = true },
            sp.GetRequiredService<ILoggerFactory>()));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public FakeTimeProvider Time { get; }

    /// <summary>Runs one batch and returns the base64 protobuf result, as the trigger returns it to the host.</summary>
    public Task<string> RunAsync(string request) =>
        GrpcEntityRunner.LoadAndRunAsync(request, ActivatorUtilities.CreateInstance<TServer>(_services), _services);

    /// <summary>Runs one batch and decodes the result, to check in setup that the benchmark does what it claims.</summary>
    public async Task<P.EntityBatchResult> RunAndDecodeAsync(string request) =>
        P.EntityBatchResult.Parser.ParseFrom(ByteString.FromBase64(await RunAsync(request)));

    public void Dispose() => _services.Dispose();
}

/// <summary>Builds the requests <see cref="EntityBatchRunner{TServer}"/> runs.</summary>
public static class BatchRequest
{
    /// <summary>A base64 protobuf batch request for <paramref name="id"/> with the given state and operations.</summary>
    public static string Create(EntityInstanceId id, string? stateJson, IEnumerable<(string Operation, string? Input)> operations)
    {
        var request = new P.EntityBatchRequest { InstanceId = id.ToString(), EntityState = stateJson };
        foreach (var (operation, input) in operations)
        {
            request.Operations.Add(new P.OperationRequest { Operation = operation, RequestId = Guid.NewGuid().ToString(), Input = input });
        }

        return request.ToByteString().ToBase64();
    }
}
