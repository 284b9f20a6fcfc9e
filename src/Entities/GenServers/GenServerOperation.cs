using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using Microsoft.DurableTask.Entities;

namespace ServerlessGenServer.Entities.GenServers;

public enum OperationKind
{
    /// <summary>handle_call: the caller waits for a reply.</summary>
    Call,

    /// <summary>handle_cast: fire and forget.</summary>
    Cast,
}

/// <summary>One message a GenServer understands, read from its public method.</summary>
public sealed class GenServerOperation
{
    private readonly ParameterInfo? _input;
    private readonly ValidationAttribute[] _rules;
    private readonly bool _validatesMembers;
    private readonly MethodInfo _method;
    private readonly ParameterInfo[] _parameters;
    private readonly PropertyInfo? _taskResult;
    private readonly MethodInfo? _asTask;

    internal GenServerOperation(MethodInfo method)
    {
        _method = method;
        _parameters = method.GetParameters();
        Name = method.Name;
        FormerNames = method.GetCustomAttributes<FormerNameAttribute>().Select(a => a.Name).ToArray();
        var returns = method.ReturnType;
        _asTask = returns == typeof(ValueTask) || (returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? returns.GetMethod(nameof(ValueTask.AsTask))
            : null;
        var task = _asTask?.ReturnType ?? returns;
        _taskResult = task.IsGenericType && task.GetGenericTypeDefinition() == typeof(Task<>) ? task.GetProperty("Result") : null;
        Kind = returns == typeof(void) || returns == typeof(Task) || returns == typeof(ValueTask)
            ? OperationKind.Cast
            : OperationKind.Call;
        IsInfo = method.IsDefined(typeof(HandleInfoAttribute));
        IsOffered = !IsInfo && (method.GetCustomAttribute<OfferAttribute>()?.Offered
            ?? method.DeclaringType?.GetCustomAttribute<OfferAttribute>(inherit: true)?.Offered ?? false);
        IsReadOnly = method.IsDefined(typeof(ReadOnlyAttribute));
        if (IsReadOnly && (Kind != OperationKind.Call || IsInfo))
        {
            throw new InvalidOperationException(
                $"{method.DeclaringType?.Name}.{method.Name} is [ReadOnly]: only a call (a method with a reply, not handle_info) can be.");
        }

        var inputs = method.GetParameters().Where(p => p.ParameterType != typeof(TaskEntityContext)).ToArray();
        if (inputs.Length > 1)
        {
            throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name} takes more than one input.");
        }

        _input = inputs.SingleOrDefault();
        _rules = _input?.GetCustomAttributes<ValidationAttribute>().ToArray() ?? [];
        InputType = _input?.ParameterType;
        InputRequired = _input is { HasDefaultValue: false };

        // Read once here: the entity checks every operation it runs against these.
        _validatesMembers = HasAnnotatedMembers(InputType);
        HasValidation = _rules.Length > 0 || _validatesMembers;
    }

    public string Name { get; }

    /// <summary>Names the operation had before (<see cref="FormerNameAttribute"/>): messages sent under them still reach it.</summary>
    public IReadOnlyList<string> FormerNames { get; }

    public OperationKind Kind { get; }

    /// <summary>A handle_info message: runs in the entity, never offered to clients.</summary>
    public bool IsInfo { get; }

    /// <summary>Clients of the HTTP API may send it (<see cref="OfferAttribute"/>); false unless the server says so.</summary>
    public bool IsOffered { get; }

    /// <summary>A call that only reads (<see cref="ReadOnlyAttribute"/>): answered from the saved state, without a turn of the entity.</summary>
    public bool IsReadOnly { get; }

    /// <summary>The type of the input, or null when the operation takes none.</summary>
    public Type? InputType { get; }

    /// <summary>The operation has an input without a default value.</summary>
    public bool InputRequired { get; }

    internal bool HasValidation { get; }

    /// <summary>
    /// Checks an input against the parameter's validation attributes (and, for an object, its annotated members).
    /// The same check runs in the HTTP and queue front doors and inside the entity, so a rule is written once.
    /// </summary>
    /// <exception cref="ValidationException">The input breaks a rule.</exception>
    public void Validate(object? input)
    {
        if (input is null)
        {
            if (InputRequired)
            {
                throw new ValidationException($"Operation '{Name}' requires an input.");
            }

            return;
        }

        if (_rules.Length > 0)
        {
            var context = new ValidationContext(input) { DisplayName = _input!.Name ?? "input", MemberName = _input.Name };
            foreach (var rule in _rules)
            {
                rule.Validate(input, context);
            }
        }

        if (_validatesMembers)
        {
            Validator.ValidateObject(input, new ValidationContext(input), validateAllProperties: true);
        }
    }

    /// <summary>
    /// Reads a client's JSON input for this operation and validates it. An empty body means no input.
    /// This is the front door's check: nothing reaches an entity that fails it.
    /// </summary>
    /// <exception cref="ValidationException">The input is not JSON of the input type, or breaks a rule.</exception>
    public object? ReadInput(ReadOnlySpan<byte> json)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            Validate(null);
            return null;
        }

        if (InputType is null)
        {
            throw new ValidationException($"Operation '{Name}' takes no input.");
        }

        object? input;
        try
        {
            input = JsonSerializer.Deserialize(json, InputType, GenServerJson.ClientInput);
        }
        catch (JsonException ex)
        {
            throw new ValidationException($"The input of '{Name}' must be JSON of type {Describe(InputType)}: {ex.Message}");
        }

        Validate(input);
        return input;
    }

    /// <summary>Runs the operation's method on <paramref name="server"/> with its input already read: no second dispatch.</summary>
    internal async ValueTask<object?> InvokeAsync(object server, TaskEntityContext context, object? input)
    {
        var args = new object?[_parameters.Length];
        for (var i = 0; i < args.Length; i++)
        {
            var parameter = _parameters[i];
            args[i] = parameter.ParameterType == typeof(TaskEntityContext) ? context
                : input ?? (parameter.HasDefaultValue ? parameter.DefaultValue : null);
        }

        var returned = _method.Invoke(server, BindingFlags.DoNotWrapExceptions, binder: null, args, culture: null);
        if (_asTask is not null)
        {
            returned = _asTask.Invoke(returned, BindingFlags.DoNotWrapExceptions, binder: null, [], culture: null);
        }

        if (returned is Task task)
        {
            await task;
            return _taskResult?.GetValue(task);
        }

        return returned;
    }

    private static string Describe(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(long) || t == typeof(int) => "integer",
        var t when t == typeof(double) || t == typeof(decimal) => "number",
        var t when t == typeof(string) => "string",
        var t when t == typeof(bool) => "boolean",
        var t => $"object ({t.Name})",
    };

    private static bool HasAnnotatedMembers(Type? type) =>
        type is { IsClass: true } && type != typeof(string) &&
        type.GetProperties().Any(p => p.IsDefined(typeof(ValidationAttribute), inherit: true));
}
