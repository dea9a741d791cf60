using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Capture.Jobs;

/// <summary>Registers the job machinery (no HTTP): options, data folder, store, queue, events, intake, runner, retention.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// The embedded default: SQLite in the data folder, in-process queue and events. Options from
    /// configuration section <c>Jobs</c>, validated at start. Scale-out registers its own
    /// <see cref="IJobStore"/>/<see cref="IJobQueue"/>/<see cref="IJobEvents"/> first; these are added only where none is.
    /// </summary>
    public static IServiceCollection AddJobMachinery(this IServiceCollection services, IConfiguration? configuration = null, Action<JobsOptions>? configure = null)
    {
        OptionsBuilder<JobsOptions> options = services.AddOptions<JobsOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(JobsOptions.Section));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();

        if (!services.Any(d => d.ServiceType == typeof(DataFolder)))
        {
            // Scale-out registers a shared folder (no lock) first.
            services.AddSingleton(sp =>
            {
                string? configured = sp.GetRequiredService<IOptions<JobsOptions>>().Value.DataDirectory;
                return configured is not null
                    ? new DataFolder(configured)
                    : new DataFolder(Directory.CreateTempSubdirectory("capture-jobs-").FullName, temporary: true);
            });
        }

        if (!services.Any(d => d.ServiceType == typeof(IJobStore)))
        {
            services.AddSingleton<IJobStore>(sp => new SqliteJobStore(sp.GetRequiredService<DataFolder>().DatabasePath));
        }

        if (!services.Any(d => d.ServiceType == typeof(IJobQueue)))
        {
            services.AddSingleton<IJobQueue, ChannelJobQueue>();
        }

        if (!services.Any(d => d.ServiceType == typeof(IJobEvents)))
        {
            services.AddSingleton<IJobEvents, InProcessJobEvents>();
        }

        services.AddSingleton<JobIntake>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddSingleton<JobRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRetention>());
        return services;
    }
}
