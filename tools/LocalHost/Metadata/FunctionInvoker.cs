using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace ServerlessGenServer.LocalHost.Metadata;

/// <summary>What one invocation can bind to a function's parameters.</summary>
public sealed record InvocationInput(DurableTaskClient Client, CancellationToken Cancellation)
{
    public HttpRequest? Request { get; init; }

    /// <summary>Route values (HTTP) by parameter name.</summary>
    public IReadOnlyDictionary<string, string?> RouteValues { get; init; } = new Dictionary<string, string?>();

    public TimerInfo? Timer { get; init; }

    /// <summary>The queue message's text.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// Runs one function's entry point as the isolated worker does: a fresh instance of its class per invocation, from DI in
/// an invocation scope, with the trigger, the Durable client and route values bound to its parameters by type and name.
/// Whatever the method cannot be given is found when the table is built, not on a request.
/// </summary>
public sealed class FunctionInvoker
{
    private readonly MethodInfo _method;
    private readonly ObjectFactory? _factory;

    private FunctionInvoker(FunctionMetadata function, MethodInfo method)
    {
        Function = function;
        _method = method;
        _factory = method.IsStatic ? null : ActivatorUtilities.CreateFactory(method.DeclaringType!, []);
    }

    public FunctionMetadata Function { get; }

    /// <exception cref="InvalidOperationException">The entry point is missing, or has a parameter this host cannot bind.</exception>
    public static FunctionInvoker Create(FunctionMetadata function, Assembly assembly, IEnumerable<string> routeParameters)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(assembly);
        var dot = function.EntryPoint.LastIndexOf('.');
        var type = dot > 0 ? assembly.GetType(function.EntryPoint[..dot]) : null;
        var methods = type?.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Where(m => m.Name == function.EntryPoint[(dot + 1)..]).ToList() ?? [];
        if (methods.Count != 1)
        {
            throw new InvalidOperationException($"Function '{function.Name}': entry point {function.EntryPoint} not found once in {assembly.GetName().Name}.");
        }

        var routeNames = routeParameters.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in methods[0].GetParameters())
        {
            if (!CanBind(function.Trigger.Type, parameter, routeNames))
            {
                throw new InvalidOperationException(
                    $"Function '{function.Name}': the local host cannot bind parameter '{parameter.Name}' ({parameter.ParameterType.Name}) of a {function.Trigger.Type}.");
            }
        }

        return new FunctionInvoker(function, methods[0]);
    }

    /// <summary>Invokes the function and returns what it returned (null for a plain Task).</summary>
    public async Task<object?> InvokeAsync(IServiceProvider services, InvocationInput input)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(input);
        await using var scope = services.CreateAsyncScope();
        var instance = _factory?.Invoke(scope.ServiceProvider, []);
        var arguments = _method.GetParameters().Select(p => Bind(p, input)).ToArray();
        var returned = _method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        if (returned is not Task task)
        {
            return returned;
        }

        await task;
        return _method.ReturnType.IsGenericType ? _method.ReturnType.GetProperty(nameof(Task<int>.Result))!.GetValue(task) : null;
    }

    private static bool CanBind(string trigger, ParameterInfo parameter, HashSet<string> routeNames)
    {
        var type = parameter.ParameterType;
        return type == typeof(DurableTaskClient) || type == typeof(CancellationToken) || trigger switch
        {
            "httpTrigger" => type == typeof(HttpRequest) || (type == typeof(string) && routeNames.Contains(parameter.Name!)),
            "timerTrigger" => type == typeof(TimerInfo),
            "queueTrigger" => type == typeof(string),
            _ => false,
        };
    }

    private static object? Bind(ParameterInfo parameter, InvocationInput input)
    {
        var type = parameter.ParameterType;
        if (type == typeof(DurableTaskClient))
        {
            return input.Client;
        }

        if (type == typeof(CancellationToken))
        {
            return input.Cancellation;
        }

        if (type == typeof(HttpRequest))
        {
            return input.Request;
        }

        if (type == typeof(TimerInfo))
        {
            return input.Timer;
        }

        if (input.Message is not null)
        {
            return input.Message;
        }

        return input.RouteValues.FirstOrDefault(v => string.Equals(v.Key, parameter.Name, StringComparison.OrdinalIgnoreCase)).Value;
    }
}
