namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// Marks a call that only reads the state: it changes nothing and sends nothing. A client answers it from the state
/// last saved, on a copy, without an orchestration or a turn of the entity (Orleans' <c>[ReadOnly]</c>, answered
/// outside the mailbox). The runtime checks the promise on every run and fails the call loudly when it is broken.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute;
