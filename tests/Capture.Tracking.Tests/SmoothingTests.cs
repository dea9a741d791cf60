using Capture.Tracking.Smoothing;

namespace Capture.Tracking.Tests;

public class OneEuroFilterBankTests
{
    private const long FrameUs = 33_333;

    [Fact]
    public void Apply_ConstantSignal_StaysConstant()
    {
        var bank = new OneEuroFilterBank(2, OneEuroParameters.Default);
        float[] v = [5, -3];
        for (int i = 0; i < 10; i++)
        {
            v[0] = 5;
            v[1] = -3;
            bank.Apply(v, i * FrameUs, 200);
        }

        Assert.Equal(5, v[0], 5);
        Assert.Equal(-3, v[1], 5);
    }

    [Fact]
    public void Apply_StillPointWithOnePixelNoise_CutsJitterBelowHalfAPixel()
    {
        var bank = new OneEuroFilterBank(1, OneEuroParameters.Default);
        var random = new Random(7);
        var outputs = new List<double>();
        float[] v = new float[1];
        for (int i = 0; i < 300; i++)
        {
            v[0] = 300 + (float)((random.NextDouble() * 2) - 1) * 1.7f; // std ≈ 1 px
            bank.Apply(v, i * FrameUs, 200);
            if (i >= 30)
            {
                outputs.Add(v[0]);
            }
        }

        double mean = outputs.Average();
        double std = Math.Sqrt(outputs.Average(x => (x - mean) * (x - mean)));
        Assert.True(std < 0.5, $"std {std:F3} px");
    }

    [Fact]
    public void Apply_FastMotion_LagsLessThanOneFrame()
    {
        var bank = new OneEuroFilterBank(1, OneEuroParameters.Default);
        float[] v = new float[1];
        const float PixelsPerFrame = 10; // 300 px/s for a 200 px face
        float lastInput = 0;
        for (int i = 0; i < 60; i++)
        {
            lastInput = 100 + (i * PixelsPerFrame);
            v[0] = lastInput;
            bank.Apply(v, i * FrameUs, 200);
        }

        float lagFrames = (lastInput - v[0]) / PixelsPerFrame;
        Assert.InRange(lagFrames, 0, 1);
    }

    [Fact]
    public void Reset_NextSamplePassesThrough()
    {
        var bank = new OneEuroFilterBank(1, OneEuroParameters.Default);
        float[] v = [0];
        bank.Apply(v, 0, 100);
        bank.Reset();
        v[0] = 50;

        bank.Apply(v, FrameUs, 100);

        Assert.Equal(50, v[0]);
    }
}
