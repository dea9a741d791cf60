// The tests share the two servers (one restarts them) and render on a 2-core machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
