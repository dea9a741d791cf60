using System.Reflection;
using BenchmarkDotNet.Running;

namespace Capture.Benchmarks;

/// <summary>A named benchmark that prints its own figures (median of several runs) when run.</summary>
public interface IBenchmarkCommand
{
    /// <summary>What to type after <c>--</c> to run it.</summary>
    string Name { get; }

    /// <summary>One line: what it measures, and the issue's goal if there is one.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark and prints its results; returns the process exit code.</summary>
    int Run(string[] args);
}

internal static class Program
{
    private static int Main(string[] args)
    {
        IBenchmarkCommand[] commands = typeof(Program).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && typeof(IBenchmarkCommand).IsAssignableFrom(t))
            .Select(t => (IBenchmarkCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToArray();

        if (args.Length > 0 && args[0] == "bdn")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
            return 0;
        }

        IBenchmarkCommand? chosen = args.Length == 0 ? null : commands.FirstOrDefault(c => c.Name == args[0]);
        if (chosen is null)
        {
            Console.WriteLine("usage: dotnet run -c Release --project tests/Capture.Benchmarks -- <name> [args] | bdn [BenchmarkDotNet args]");
            foreach (IBenchmarkCommand c in commands)
            {
                Console.WriteLine($"  {c.Name,-24} {c.Description}");
            }

            Console.WriteLine($"  {"bdn --filter '*Micro*'",-24} BenchmarkDotNet micro-benchmarks with [MemoryDiagnoser]: protocol encode/decode, JPEG encode, TPS solve, similarity fit");

            return args.Length == 0 || args[0] == "list" ? 0 : 2;
        }

        return chosen.Run(args[1..]);
    }
}

/// <summary>Helpers every benchmark command uses to report a median honestly.</summary>
public static class BenchmarkReport
{
    public static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    /// <summary>One line naming the machine, printed above every result.</summary>
    public static string MachineLine() =>
        $"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {Assembly.GetEntryAssembly()?.GetName().Name}";
}
