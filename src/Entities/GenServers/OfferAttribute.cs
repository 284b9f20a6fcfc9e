namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// What a GenServer offers to clients of the HTTP API. On the class: every call and cast of the server; on a method:
/// that operation (<c>[Offer(false)]</c> withholds one from an offered server). Without it nothing is offered, so a new
/// server is reachable only from inside (other servers, timers, the signal queue) until its author says otherwise.
/// handle_info messages are never offered.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public sealed class OfferAttribute(bool offered = true) : Attribute
{
    public bool Offered { get; } = offered;
}
