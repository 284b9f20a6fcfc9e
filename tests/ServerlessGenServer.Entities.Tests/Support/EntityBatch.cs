using Google.Protobuf;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker.Grpc;
using P = Microsoft.DurableTask.Protobuf;

namespace ServerlessGenServer.Entities.Tests.Support;

/// <summary>One operation of a batch: its name and JSON input (null for none).</summary>
internal sealed record Op(string Name, string? Input = null);

internal sealed record OpResult(bool Ok, string? Result, string? ErrorType, string? ErrorMessage);

internal sealed record SentSignal(string InstanceId, string Name, string? Input, DateTimeOffset? ScheduledTime);

internal sealed record BatchResult(IReadOnlyList<OpResult> Results, string? State, IReadOnlyList<SentSignal> Signals);

/// <summary>
/// Runs a batch through GrpcEntityRunner.LoadAndRunAsync, the isolated worker's own entry point for an entity trigger:
/// a base64 protobuf EntityBatchRequest in, a base64 EntityBatchResult out.
/// </summary>
internal static class EntityBatch
{
    public static async Task<BatchResult> RunAsync(
        ITaskEntity entity, EntityInstanceId id, string? stateJson, IServiceProvider services, params Op[] operations)
    {
        var request = new P.EntityBatchRequest { InstanceId = id.ToString(), EntityState = stateJson };
        foreach (var op in operations)
        {
            request.Operations.Add(new P.OperationRequest
            {
                Operation = op.Name,
                RequestId = Guid.NewGuid().ToString(),
                Input = op.Input,
            });
        }

        var encoded = await GrpcEntityRunner.LoadAndRunAsync(request.ToByteString().ToBase64(), entity, services);
        var result = P.EntityBatchResult.Parser.ParseFrom(ByteString.FromBase64(encoded));

        var results = result.Results.Select(r => r.ResultTypeCase == P.OperationResult.ResultTypeOneofCase.Success
            ? new OpResult(true, r.Success.Result, null, null)
            : new OpResult(false, null, r.Failure.FailureDetails.ErrorType, r.Failure.FailureDetails.ErrorMessage)).ToList();
        var signals = result.Actions
            .Where(a => a.OperationActionTypeCase == P.OperationAction.OperationActionTypeOneofCase.SendSignal)
            .Select(a => new SentSignal(a.SendSignal.InstanceId, a.SendSignal.Name, a.SendSignal.Input,
                a.SendSignal.ScheduledTime?.ToDateTimeOffset()))
            .ToList();
        return new BatchResult(results, result.EntityState, signals);
    }
}
