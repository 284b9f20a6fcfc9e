using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.GenServers;

/// <summary>[Offer] decides what clients may send: nothing by default, the class's calls and casts, or single methods.</summary>
public sealed class OfferTests
{
    [Fact]
    public void ServerWithoutOffer_OffersNothing()
    {
        Assert.DoesNotContain(GenServerOperations.For(typeof(Unoffered)).All, o => o.IsOffered);
    }

    [Fact]
    public void OfferOnTheClass_OffersEveryCallAndCast_ButNotHandleInfoOrWithheldOnes()
    {
        var offered = GenServerOperations.For(typeof(Offered)).All.Where(o => o.IsOffered).Select(o => o.Name).Order(StringComparer.Ordinal);

        Assert.Equal(["Bump", "Read"], offered);
    }

    [Fact]
    public void OfferOnAMethod_OffersOnlyThatOne()
    {
        var offered = GenServerOperations.For(typeof(OneOffered)).All.Where(o => o.IsOffered).Select(o => o.Name);

        Assert.Equal(["Read"], offered);
    }

    private sealed record ProbeState;

    private sealed class Unoffered(TimeProvider time, ILogger<Unoffered> logger) : GenServer<ProbeState>(time, logger)
    {
        public void Bump()
        {
        }

        protected override ProbeState Init() => new();
    }

    [Offer]
    private sealed class Offered(TimeProvider time, ILogger<Offered> logger) : GenServer<ProbeState>(time, logger)
    {
        public void Bump()
        {
        }

        public int Read() => 1;

        [Offer(false)]
        public void Secret()
        {
        }

        [HandleInfo]
        public void Tick()
        {
        }

        protected override ProbeState Init() => new();
    }

    private sealed class OneOffered(TimeProvider time, ILogger<OneOffered> logger) : GenServer<ProbeState>(time, logger)
    {
        public void Bump()
        {
        }

        [Offer]
        public int Read() => 1;

        protected override ProbeState Init() => new();
    }
}
