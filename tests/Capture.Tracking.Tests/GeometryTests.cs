using System.Numerics;
using Capture.Tracking.Geometry;

namespace Capture.Tracking.Tests;

public class RotatedRectTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(0.7f)]
    [InlineData(-2.5f)]
    public void FromImage_AfterToImage_ReturnsTheSamePoint(float rotation)
    {
        var rect = new RotatedRect(100, 80, 60, 40, rotation);

        Vector2 image = rect.ToImage(0.2f, 0.9f);
        Vector2 back = rect.FromImage(image.X, image.Y);

        Assert.Equal(0.2f, back.X, 4);
        Assert.Equal(0.9f, back.Y, 4);
    }

    [Fact]
    public void ToImage_QuarterTurn_TurnsTheRectXAxisTowardImageDown()
    {
        var rect = new RotatedRect(50, 50, 20, 20, MathF.PI / 2);

        Vector2 rightMiddle = rect.ToImage(1, 0.5f);

        Assert.Equal(50, rightMiddle.X, 3);
        Assert.Equal(60, rightMiddle.Y, 3);
    }

    [Fact]
    public void RotationFrom_LevelEyes_IsZero_TiltedEyes_FollowTheLine()
    {
        Assert.Equal(0, RotatedRect.RotationFrom(new Vector2(10, 50), new Vector2(30, 50), 0), 5);

        // Second eye lower in the image (y down): the rect must turn clockwise by the same angle.
        float r = RotatedRect.RotationFrom(new Vector2(10, 50), new Vector2(30, 70), 0);
        Assert.Equal(MathF.PI / 4, r, 5);
    }

    [Fact]
    public void RotationFrom_PoseHipBelowShoulders_TargetNinety_IsZero()
    {
        float r = RotatedRect.RotationFrom(new Vector2(100, 300), new Vector2(100, 200), MathF.PI / 2);

        Assert.Equal(0, r, 5);
    }

    [Fact]
    public void SquareLongScaled_TakesTheLongSideThenScales()
    {
        RotatedRect r = new RotatedRect(0, 0, 40, 100, 0.3f).SquareLongScaled(1.5f);

        Assert.Equal(150, r.Width);
        Assert.Equal(150, r.Height);
        Assert.Equal(0.3f, r.Rotation);
    }

    [Fact]
    public void Letterbox_WideImage_IsASquareOfTheLongSideAtTheCentre()
    {
        RotatedRect r = RotatedRect.Letterbox(640, 480);

        Assert.Equal(new RotatedRect(320, 240, 640, 640, 0), r);
        Assert.Equal(0, r.ToImage(0, 0).X, 3);
        Assert.Equal(-80, r.ToImage(0, 0).Y, 3);
    }
}

public class ImageCropperTests
{
    private static byte[] Gradient(int w, int h)
    {
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int o = ((y * w) + x) * 3;
                rgb[o] = (byte)(x * 10);
                rgb[o + 1] = (byte)(y * 10);
                rgb[o + 2] = 200;
            }
        }

        return rgb;
    }

    [Fact]
    public void CropToTensor_WholeImageSameSize_CopiesPixelsScaledToRange()
    {
        byte[] rgb = Gradient(8, 8);
        var tensor = new float[8 * 8 * 3];

        ImageCropper.CropToTensor(rgb, 8, 8, new RotatedRect(4, 4, 8, 8, 0), tensor, 8, -1, 1, CropBorder.Zero);

        for (int i = 0; i < rgb.Length; i++)
        {
            Assert.Equal((rgb[i] / 127.5f) - 1, tensor[i], 4);
        }
    }

    [Fact]
    public void CropToTensor_QuarterTurn_ReadsColumnsAsRows()
    {
        byte[] rgb = Gradient(8, 8);
        var tensor = new float[8 * 8 * 3];

        ImageCropper.CropToTensor(rgb, 8, 8, new RotatedRect(4, 4, 8, 8, MathF.PI / 2), tensor, 8, 0, 255, CropBorder.Zero);

        // Tensor x runs down the image, tensor y runs right-to-left: tensor (u, v) = image (7 - v, u).
        for (int v = 0; v < 8; v++)
        {
            for (int u = 0; u < 8; u++)
            {
                int o = ((v * 8) + u) * 3;
                Assert.Equal((7 - v) * 10, tensor[o], 2);
                Assert.Equal(u * 10, tensor[o + 1], 2);
            }
        }
    }

    [Fact]
    public void CropToTensor_HalfPixelShift_InterpolatesBilinearly()
    {
        byte[] rgb = Gradient(8, 8);
        var tensor = new float[4 * 4 * 3];

        ImageCropper.CropToTensor(rgb, 8, 8, new RotatedRect(3.5f, 3, 4, 4, 0), tensor, 4, 0, 255, CropBorder.Zero);

        // Output (0, 0) centre lies at continuous (2, 1.5), i.e. pixel index (1.5, 1): x value 15, y value 10.
        Assert.Equal(15, tensor[0], 3);
        Assert.Equal(10, tensor[1], 3);
    }

    [Fact]
    public void CropToTensor_PastTheBorder_ReplicatesOrZeroes()
    {
        byte[] rgb = Gradient(8, 8);
        var replicate = new float[8 * 8 * 3];
        var zero = new float[8 * 8 * 3];
        var rect = new RotatedRect(-4, 4, 8, 8, 0); // entirely left of the image

        ImageCropper.CropToTensor(rgb, 8, 8, rect, replicate, 8, 0, 255, CropBorder.Replicate);
        ImageCropper.CropToTensor(rgb, 8, 8, rect, zero, 8, 0, 255, CropBorder.Zero);

        Assert.Equal(0, replicate[0], 3);      // x of column 0 is 0
        Assert.Equal(200, replicate[2], 3);    // blue of the edge column
        Assert.All(zero, v => Assert.Equal(0, v));
    }

    [Fact]
    public void CropToTensor_OnePixelImage_FillsFromThatPixel()
    {
        byte[] rgb = [10, 20, 30];
        var tensor = new float[4 * 4 * 3];

        ImageCropper.CropToTensor(rgb, 1, 1, new RotatedRect(0.5f, 0.5f, 1, 1, 0), tensor, 4, 0, 255, CropBorder.Replicate);

        for (int i = 0; i < tensor.Length; i += 3)
        {
            Assert.Equal(10, tensor[i], 3);
            Assert.Equal(30, tensor[i + 2], 3);
        }
    }
}
