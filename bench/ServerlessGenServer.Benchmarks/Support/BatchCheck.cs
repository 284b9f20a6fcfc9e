using P = Microsoft.DurableTask.Protobuf;

namespace ServerlessGenServer.Benchmarks.Support;

/// <summary>Setup-time checks: a benchmark that silently measured failing operations would report nonsense.</summary>
public static class BatchCheck
{
    /// <summary>Throws unless every one of <paramref name="expected"/> operations succeeded and a state came back.</summary>
    public static void AllSucceeded(P.EntityBatchResult result, int expected)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Results.Count != expected)
        {
            throw new InvalidOperationException($"Expected {expected} results, got {result.Results.Count}.");
        }

        var failure = result.Results.FirstOrDefault(r => r.ResultTypeCase != P.OperationResult.ResultTypeOneofCase.Success);
        if (failure is not null)
        {
            throw new InvalidOperationException(
                $"An operation failed: {failure.Failure.FailureDetails.ErrorType}: {failure.Failure.FailureDetails.ErrorMessage}");
        }

        if (string.IsNullOrEmpty(result.EntityState))
        {
            throw new InvalidOperationException("The batch returned no state.");
        }
    }
}
