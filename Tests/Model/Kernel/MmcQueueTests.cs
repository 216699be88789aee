using MathNet.Numerics.Distributions;
using TlbSim.Model.Kernel;
using TlbSim.Model.Units;
using Xunit;

namespace TlbSim.Tests.Model.Kernel;

/// <summary>Analytic sanity: does an M/M/c queue built on the engine wait as long as Erlang C says?</summary>
public class MmcQueueTests
{
    /// <summary>Erlang C mean wait in queue for c servers, arrival rate lambda, service rate mu.</summary>
    private static double ErlangCWait(int c, double lambda, double mu)
    {
        double a = lambda / mu;
        double rho = a / c;
        double sum = 0, term = 1;
        for (int k = 0; k < c; k++)
        {
            sum += term;
            term *= a / (k + 1);
        }
        double top = term / (1 - rho); // a^c / c! / (1 - rho)
        double pWait = top / (sum + top);
        return pWait / (c * mu - lambda);
    }

    [Fact]
    public void Erlang_C_gives_the_published_wait_for_c4_lambda3_2_mu1()
    {
        Assert.Equal(0.7455, ErlangCWait(4, 3.2, 1.0), 3);
    }

    [Fact]
    public void The_mean_wait_of_one_million_MM4_customers_is_within_3_percent_of_Erlang_C()
    {
        const int customers = 1_000_000;
        var sim = new Simulation(seed: 2026);
        var servers = new Resource(sim, capacity: 4);
        var arrivals = sim.Random.Stream("arrivals");
        var service = sim.Random.Stream("service");
        var wait = new SampleMonitor();
        IEnumerable<Event> Customer()
        {
            var arrived = sim.Now;
            using var req = servers.Request();
            yield return req;
            wait.Add((sim.Now - arrived).TotalSeconds);
            yield return sim.Timeout(Duration.FromSeconds(Exponential.Sample(service, 1.0)));
        }
        IEnumerable<Event> Source()
        {
            for (int i = 0; i < customers; i++)
            {
                sim.Process(Customer(), "customer");
                yield return sim.Timeout(Duration.FromSeconds(Exponential.Sample(arrivals, 3.2)));
            }
        }
        sim.Process(Source(), "source");
        sim.Run();
        double expected = ErlangCWait(4, 3.2, 1.0);
        Assert.Equal(customers, wait.Count);
        Assert.InRange(wait.Mean, expected * 0.97, expected * 1.03);
        Assert.InRange(servers.Utilisation.Mean, 0.78, 0.82);
    }
}
