using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Engine.Tests.TestServers.Versions.V1;

/// <summary>Generation 1 of the test server <c>parcel</c>: its weight is a string, and its timer sends <c>Ping</c>.</summary>
[Offer]
public sealed class Parcel(TimeProvider time, ILogger<Parcel> logger) : GenServer<ParcelState>(time, logger)
{
    public void Weigh([Required] string grams) => State = State with { Weight = grams };

    public void Schedule([Range(1, 600_000)] long delayMs) => StartTimer("ping", TimeSpan.FromMilliseconds(delayMs), nameof(Ping));

    [HandleInfo]
    public void Ping() => State = State with { Pings = State.Pings + 1 };

    protected override ParcelState Init() => new();
}

public sealed record ParcelState(string Weight = "0", int Pings = 0);
