// The suites render real video on a 2-core machine: one test class at a time keeps each render's
// timing (and the CI's wall time) predictable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
