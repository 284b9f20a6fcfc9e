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

    internal GenServerOperation(MethodInfo method)
    {
        Name = method.Name;
        var returns = method.ReturnType;
        Kind = returns == typeof(void) || returns == typeof(Task) || returns == typeof(ValueTask)
            ? OperationKind.Cast
            : OperationKind.Call;
        IsInfo = method.IsDefined(typeof(HandleInfoAttribute));
        IsOffered = !IsInfo && (method.GetCustomAttribute<OfferAttribute>()?.Offered
            ?? method.DeclaringType?.GetCustomAttribute<OfferAttribute>(inherit: true)?.Offered ?? false);

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

    public OperationKind Kind { get; }

    /// <summary>A handle_info message: runs in the entity, never offered to clients.</summary>
    public bool IsInfo { get; }

    /// <summary>Clients of the HTTP API may send it (<see cref="OfferAttribute"/>); false unless the server says so.</summary>
    public bool IsOffered { get; }

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
