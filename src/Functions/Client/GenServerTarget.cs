using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Functions.Client;

/// <summary>Why a request cannot reach a GenServer operation.</summary>
public enum TargetError
{
    UnknownServer,
    BadKey,
    UnknownOperation,

    /// <summary>A call operation sent as a cast: its reply would be thrown away.</summary>
    CallSentAsCast,
}

/// <summary>What is wrong with a target, in words a client can act on.</summary>
public sealed record TargetProblem(TargetError Error, string Detail);

/// <summary>
/// A checked server/key/operation: the one resolution the HTTP API and the signal queue share, so both front doors
/// accept and refuse the same requests.
/// </summary>
public readonly record struct GenServerTarget(EntityInstanceId Id, GenServerOperation? Operation)
{
    /// <summary>
    /// Resolves a target against the registry. With <paramref name="operation"/> null only the server and key are checked.
    /// handle_info operations are never reachable; a cast may not run a call operation.
    /// </summary>
    public static (GenServerTarget Target, TargetProblem? Problem) Resolve(
        GenServerRegistry registry, string server, string key, string? operation, OperationKind kind)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (!registry.TryGet(server, out var descriptor))
        {
            return (default, new(TargetError.UnknownServer, UnknownServer(registry, server)));
        }

        if (EntityKey.Problem(key) is { } keyProblem)
        {
            return (default, new(TargetError.BadKey, keyProblem));
        }

        var id = new EntityInstanceId(descriptor.Name, key);
        if (operation is null)
        {
            return (new GenServerTarget(id, null), null);
        }

        if (!descriptor.Operations.TryGet(operation, out var op) || op.IsInfo)
        {
            return (default, new(TargetError.UnknownOperation,
                $"{descriptor.Name} has no operation '{operation}'. It has: {Describe(descriptor)}."));
        }

        // A call may run any operation (a cast answers null once it has run); a cast would throw a call's reply away.
        if (kind == OperationKind.Cast && op.Kind == OperationKind.Call)
        {
            return (default, new(TargetError.CallSentAsCast,
                $"'{op.Name}' is a call: it has a reply, so send it to .../call/{op.Name.ToLowerInvariant()}."));
        }

        return (new GenServerTarget(id, op), null);
    }

    public static string UnknownServer(GenServerRegistry registry, string server)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return $"There is no GenServer named '{server}'. There are: {string.Join(", ", registry.Servers.Select(s => s.Name))}.";
    }

    private static string Describe(GenServerDescriptor server) => string.Join(", ", server.Operations.All
        .Where(o => !o.IsInfo)
        .Select(o => $"{o.Name.ToLowerInvariant()} ({o.Kind.ToString().ToLowerInvariant()})"));
}
