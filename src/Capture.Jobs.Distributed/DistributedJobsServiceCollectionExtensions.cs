using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Capture.Jobs.Distributed;

/// <summary>Registers the scale-out back-ends in place of the embedded ones.</summary>
public static class DistributedJobsServiceCollectionExtensions
{
    /// <summary>
    /// PostgreSQL store, RabbitMQ queue, NOTIFY events, the sweeper and the 503 answer for a store that is
    /// down. Call before <c>AddJobMachinery</c>/<c>AddCaptureJobs</c>, which then keep these. The runner's
    /// cancel is wired to the node, so a job canceled elsewhere stops here.
    /// </summary>
    /// <param name="role">Shown in the node id: <c>api</c> or <c>worker</c>.</param>
    public static IServiceCollection AddDistributedJobs(this IServiceCollection services, DistributedJobsOptions options, string role)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(sp =>
        {
            var node = new DistributedNode(role);
            node.OnLost = async id =>
            {
                if (sp.GetService<JobRunner>() is JobRunner runner)
                {
                    await runner.CancelAsync(id, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                }
            };
            return node;
        });
        // Every node uses the same data folder: no single-server lock, other nodes' uploads left alone.
        services.AddSingleton(sp => new DataFolder(
            sp.GetRequiredService<IOptions<JobsOptions>>().Value.DataDirectory
                ?? throw new InvalidDataException("scale-out needs --data: the folder every node shares (uploads, inputs, results)"))
        {
            Shared = true,
        });
        services.AddSingleton<PostgresJobStore>();
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<PostgresJobStore>());
        services.AddSingleton<RabbitMqJobQueue>();
        services.AddSingleton<IJobQueue>(sp => sp.GetRequiredService<RabbitMqJobQueue>());
        services.AddSingleton<PostgresJobEvents>();
        services.AddSingleton<IJobEvents>(sp => sp.GetRequiredService<PostgresJobEvents>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresJobEvents>());
        services.AddSingleton<JobSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<JobSweeper>());
        services.AddExceptionHandler<StoreUnavailableHandler>();
        return services;
    }
}
