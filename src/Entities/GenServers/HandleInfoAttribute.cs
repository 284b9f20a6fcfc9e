namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// Marks an operation as handle_info: a message the server schedules for itself (ticks, refills, cleanups,
/// continuations) or that timer functions send it. It runs like any operation but is not offered to clients.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class HandleInfoAttribute : Attribute;
