using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Face;

namespace Capture.Tracking.Tests;

public sealed class FaceWorkerTests
{
    [Fact]
    public void End_AfterTheWorkThrew_RethrowsOnTheCallersThreadAndKeepsWorking()
    {
        int calls = 0;
        int callerThread = Environment.CurrentManagedThreadId;
        int workerThread = 0;
        using var worker = new FaceWorker((frame, face) =>
        {
            workerThread = Environment.CurrentManagedThreadId;
            if (++calls == 1)
            {
                throw new InvalidDataException("model output broken");
            }

            face.Present = true;
        });
        VideoFrame frame = VideoFrame.CreateUnpooled(4, 4);
        var observation = new FaceObservation();

        worker.Begin(frame, observation);
        InvalidDataException thrown = Assert.Throws<InvalidDataException>(worker.End);
        Assert.Equal("model output broken", thrown.Message);

        // The next frame goes through: one failed frame does not stop the worker.
        worker.Begin(frame, observation);
        worker.End();
        Assert.True(observation.Present);
        Assert.Equal(2, calls);
        Assert.NotEqual(callerThread, workerThread);
    }

    [Fact]
    public void Dispose_IdleWorker_StopsItsThread()
    {
        var worker = new FaceWorker((_, _) => { });
        worker.Dispose();
        worker.Dispose();
    }
}
