using System.Buffers.Binary;
using System.Numerics;
using Capture.Core.Tracking;
using Capture.Inference.Onnx;

namespace Capture.Tracking.Face;

/// <summary>
/// MediaPipe's canonical face: the 468 face-mesh points of a neutral, frontal head in centimetres
/// (x to the subject's left as seen in the image, i.e. image right; y up; z toward the camera),
/// with the Procrustes weights MediaPipe uses to fit a pose, and the mesh triangles.
/// Read from <c>geometry_pipeline_metadata_landmarks.binarypb</c> (a <c>GeometryPipelineMetadata</c>
/// protobuf: field 1 the canonical Mesh3d {3: vertex buffer of x,y,z,u,v floats, 4: triangle
/// indices}, field 2 repeated weighted landmark refs {1: id, 2: weight}, field 3 the input source).
/// </summary>
public sealed class CanonicalFaceGeometry
{
    private CanonicalFaceGeometry(Vector3[] landmarks, float[] weights, int[] triangles)
    {
        Landmarks = landmarks;
        ProcrustesWeights = weights;
        Triangles = triangles;
    }

    /// <summary>468 points in centimetres. Shared: do not modify.</summary>
    public Vector3[] Landmarks { get; }

    /// <summary>468 weights (0 for points outside MediaPipe's Procrustes basis). Shared: do not modify.</summary>
    public float[] ProcrustesWeights { get; }

    /// <summary>Triangle vertex indices, three a triangle. Shared: do not modify.</summary>
    public int[] Triangles { get; }

    /// <summary>Parses the metadata file; throws <see cref="InvalidDataException"/> naming it when it is not one.</summary>
    public static CanonicalFaceGeometry Load(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        try
        {
            return Parse(data);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: not a MediaPipe face geometry metadata file ({ex.Message}).", ex);
        }
    }

    public static CanonicalFaceGeometry Parse(ReadOnlySpan<byte> data)
    {
        var weights = new float[TrackingFrame.FaceLandmarkCount];
        var vertices = new List<float>();
        var indices = new List<int>();
        var reader = new ProtoReader(data);
        while (!reader.End)
        {
            (int field, int wire) = reader.ReadTag();
            if (field == 2 && wire == 2)
            {
                var sub = new ProtoReader(reader.ReadBytes());
                int id = -1;
                float weight = 0;
                while (!sub.End)
                {
                    (int f, int w) = sub.ReadTag();
                    if (f == 1 && w == 0)
                    {
                        id = (int)sub.ReadVarint();
                    }
                    else if (f == 2 && w == 5)
                    {
                        weight = sub.ReadFixed32Float();
                    }
                    else
                    {
                        sub.Skip(w);
                    }
                }

                if (id >= 0 && id < weights.Length)
                {
                    weights[id] = weight;
                }
            }
            else if (field == 1 && wire == 2)
            {
                var mesh = new ProtoReader(reader.ReadBytes());
                while (!mesh.End)
                {
                    (int f, int w) = mesh.ReadTag();
                    if (f == 3 && w == 2)
                    {
                        ReadOnlySpan<byte> packed = mesh.ReadBytes();
                        for (int i = 0; i + 4 <= packed.Length; i += 4)
                        {
                            vertices.Add(BinaryPrimitives.ReadSingleLittleEndian(packed[i..]));
                        }
                    }
                    else if (f == 3 && w == 5)
                    {
                        vertices.Add(mesh.ReadFixed32Float());
                    }
                    else if (f == 4 && w == 2)
                    {
                        var packed = new ProtoReader(mesh.ReadBytes());
                        while (!packed.End)
                        {
                            indices.Add((int)packed.ReadVarint());
                        }
                    }
                    else if (f == 4 && w == 0)
                    {
                        indices.Add((int)mesh.ReadVarint());
                    }
                    else
                    {
                        mesh.Skip(w);
                    }
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }

        const int FloatsPerVertex = 5; // VERTEX_PT: x, y, z, u, v
        if (vertices.Count != TrackingFrame.FaceLandmarkCount * FloatsPerVertex)
        {
            throw new InvalidDataException($"canonical mesh has {vertices.Count} vertex floats, expected {TrackingFrame.FaceLandmarkCount * FloatsPerVertex}");
        }

        var landmarks = new Vector3[TrackingFrame.FaceLandmarkCount];
        for (int i = 0; i < landmarks.Length; i++)
        {
            landmarks[i] = new Vector3(vertices[i * FloatsPerVertex], vertices[(i * FloatsPerVertex) + 1], vertices[(i * FloatsPerVertex) + 2]);
        }

        if (weights.All(w => w == 0))
        {
            throw new InvalidDataException("no Procrustes landmark weights");
        }

        return new CanonicalFaceGeometry(landmarks, weights, [.. indices]);
    }
}
