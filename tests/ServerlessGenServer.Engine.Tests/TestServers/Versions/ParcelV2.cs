using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Engine.Tests.TestServers.Versions.V2;

/// <summary>
/// Generation 2 of the test server <c>parcel</c>: the weight became a number of grams (a changed member type), and
/// <c>Ping</c> was renamed <c>Pinged</c>, so timers armed by generation 1 still reach it.
/// </summary>
[Offer]
public sealed class Parcel(TimeProvider time, ILogger<Parcel> logger) : GenServer<ParcelState>(time, logger)
{
    protected override int StateVersion => 2;

    public void Weigh(long grams) => State = State with { WeightGrams = grams };

    public ParcelState Read() => State;

    [HandleInfo]
    [FormerName("Ping")]
    public void Pinged() => State = State with { Pings = State.Pings + 1 };

    protected override ParcelState Init() => new();

    // Versions 0 and 1 have the same shape: {"weight": "250", "pings": 1}.
    protected override ParcelState CodeChange(int fromVersion, JsonElement state)
    {
        var old = state.Deserialize<V1.ParcelState>(GenServerJson.Options) ?? throw new JsonException("The stored state is null.");
        return new ParcelState(long.Parse(old.Weight, NumberStyles.None, CultureInfo.InvariantCulture), old.Pings);
    }
}

public sealed record ParcelState(long WeightGrams = 0, int Pings = 0);
