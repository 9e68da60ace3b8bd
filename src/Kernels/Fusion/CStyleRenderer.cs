using System.Globalization;
using System.Text;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Fusion;

/// <summary>
/// Renders a program as C-style kernel source written only in the portable prelude's macros, so one
/// renderer serves OpenCL C 1.2 and CUDA C; a subclass per dialect names it and its file extension.
/// One source holds every kernel of one variant: per reduce level a partial kernel (a work-group count fixed per
/// device, fp32 per work-item, tree in local memory) and a finalize kernel (one work-group: partials summed in double
/// when HAS_FP64, strided over the work-items, then a tree), then the map kernel. Variant 0 is dense (flat index);
/// rank r ≥ 1 is strided (per-input strides).
/// </summary>
internal abstract class CStyleRenderer
{
    public abstract KernelDialect Dialect { get; }

    /// <summary>Source-file extension the backend's build log names.</summary>
    public abstract string Extension { get; }

    /// <summary>+∞ spelled through the prelude: OpenCL's INFINITY and clang's builtin are unknown to NVRTC.</summary>
    private const string Infinity = "AS_FLOAT(0x7f800000u)";

    public static CStyleRenderer For(KernelDialect dialect) =>
        dialect == KernelDialect.Cuda ? CudaRenderer.Instance : OpenClRenderer.Instance;

    public static string VariantSuffix(int rank) => rank == 0 ? "" : $"_s{rank}";

    /// <summary>
    /// The source of one variant for work-groups of <paramref name="localSize"/> and reduce phases of
    /// <paramref name="reduceGroups"/> work-groups.
    /// </summary>
    public string Render(FusedProgram program, int rank, int localSize, int reduceGroups)
    {
        var g = program.Graph;
        var stem = program.KernelStem + VariantSuffix(rank);
        var sb = new StringBuilder();
        sb.Append("// ").Append(Dialect).Append(" kernels of fused program ").AppendLine(program.Name);
        foreach (var line in program.ToString().Split('\n')) sb.Append("//   ").AppendLine(line);
        sb.AppendLine("#if HAS_FP64").AppendLine("typedef double fused_acc;").AppendLine("#else")
          .AppendLine("typedef float fused_acc;").AppendLine("#endif");
        for (int level = 1; level <= g.LevelCount; level++)
        {
            RenderReduce(sb, g, stem, level, rank, localSize);
            RenderFinalize(sb, g, stem, level, localSize, reduceGroups);
        }
        if (g.OutputNodes.Length > 0) RenderMap(sb, g, stem, rank);
        return sb.ToString();
    }

    private void RenderMap(StringBuilder sb, FusionGraph g, string stem, int rank)
    {
        sb.Append("\nKERNEL void ").Append(stem).Append("_map(");
        CommonParameters(sb, g, rank);
        for (int o = 0; o < g.OutputNodes.Length; o++)
            sb.Append(",\n    GLOBAL ").Append(StorageType(g.OutputStorage[o])).Append("* out").Append(o).Append(", LONG out").Append(o).Append("_off");
        sb.AppendLine(")\n{");
        sb.AppendLine("    LONG i = (LONG)GLOBAL_ID(0);");
        sb.AppendLine("    if (i >= n) return;");
        var needed = g.Needed(g.OutputNodes, expandRoots: false);
        Hoisted(sb, g, needed, "    ");
        Element(sb, g, needed, g.GateScopes(g.OutputNodes, expandRoots: false), rank, "    ");
        for (int o = 0; o < g.OutputNodes.Length; o++)
        {
            var value = Value(g, g.OutputNodes[o]);
            sb.Append("    out").Append(o).Append("[out").Append(o).Append("_off + i] = ")
              .Append(g.OutputStorage[o] == DType.BFloat16 ? $"engine_bf16_store({value})" : value).AppendLine(";");
        }
        sb.AppendLine("}");
    }

    private void RenderReduce(StringBuilder sb, FusionGraph g, string stem, int level, int rank, int local)
    {
        var ks = g.ReductionsOfLevel(level);
        sb.Append("\nKERNEL void ").Append(stem).Append("_reduce").Append(level).Append('(');
        CommonParameters(sb, g, rank);
        sb.AppendLine(",\n    GLOBAL float* part, LONG part_off)\n{");
        sb.Append("    LOCAL_MEM float sh[").Append(ks.Length * local).AppendLine("];");
        sb.AppendLine("    int lid = (int)LOCAL_ID(0);");
        var roots = ks.Select(k => g.ReductionNodes[k]).ToArray();
        var needed = g.Needed(roots, expandRoots: true);
        Hoisted(sb, g, needed, "    ");
        for (int j = 0; j < ks.Length; j++)
            sb.Append("    float acc").Append(j).Append(" = ").Append(IsSum(g, ks[j]) ? "0.0f" : "-" + Infinity).AppendLine(";");
        sb.AppendLine("    for (LONG i = (LONG)GLOBAL_ID(0); i < n; i += (LONG)GLOBAL_SIZE(0))\n    {");
        Element(sb, g, needed, g.GateScopes(roots, expandRoots: true), rank, "        ");
        for (int j = 0; j < ks.Length; j++)
        {
            var v = Value(g, g.Nodes[g.ReductionNodes[ks[j]]].A);
            sb.Append("        acc").Append(j).Append(IsSum(g, ks[j]) ? $" += {v};" : $" = FMAXF(acc{j}, {v});").AppendLine();
        }
        sb.AppendLine("    }");
        for (int j = 0; j < ks.Length; j++) sb.Append("    sh[").Append(j * local).Append(" + lid] = acc").Append(j).AppendLine(";");
        sb.AppendLine("    BARRIER();");
        sb.Append("    for (int s = ").Append(local / 2).AppendLine("; s > 0; s >>= 1)\n    {\n        if (lid < s)\n        {");
        for (int j = 0; j < ks.Length; j++)
        {
            string a = $"sh[{j * local} + lid]", b = $"sh[{j * local} + lid + s]";
            sb.Append("            ").Append(a).Append(IsSum(g, ks[j]) ? $" += {b};" : $" = FMAXF({a}, {b});").AppendLine();
        }
        sb.AppendLine("        }\n        BARRIER();\n    }");
        sb.AppendLine("    if (lid == 0)\n    {");
        for (int j = 0; j < ks.Length; j++)
            sb.Append("        part[part_off + (LONG)GROUP_ID(0) * ").Append(ks.Length).Append(" + ").Append(j)
              .Append("] = sh[").Append(j * local).AppendLine("];");
        sb.AppendLine("    }\n}");
    }

    /// <summary>One work-group of <paramref name="local"/> work-items folds the <paramref name="groups"/> partials of each reduction.</summary>
    private void RenderFinalize(StringBuilder sb, FusionGraph g, string stem, int level, int local, int groups)
    {
        var ks = g.ReductionsOfLevel(level);
        sb.Append("\nKERNEL void ").Append(stem).Append("_finalize").Append(level)
          .AppendLine("(GLOBAL const float* part, LONG part_off, GLOBAL float* red, LONG red_off,")
          .AppendLine("    GLOBAL float* dst, LONG dst_off, int copy)\n{");
        sb.Append("    LOCAL_MEM fused_acc sh[").Append(local).AppendLine("];");
        sb.AppendLine("    int lid = (int)LOCAL_ID(0);");
        for (int j = 0; j < ks.Length; j++)
        {
            bool sum = IsSum(g, ks[j]);
            string Combine(string a, string b) => sum ? $"{a} + {b}" : $"({a} > {b} ? {a} : {b})";
            sb.Append("    {\n        fused_acc a = ").Append(sum ? "0" : "-" + Infinity).AppendLine(";");
            sb.Append("        for (int grp = lid; grp < ").Append(groups).Append("; grp += ").Append(local).AppendLine(")");
            sb.Append("            a = ").Append(Combine("a", $"(fused_acc)part[part_off + grp * {ks.Length} + {j}]")).AppendLine(";");
            sb.AppendLine("        sh[lid] = a;\n        BARRIER();");
            sb.Append("        for (int s = ").Append(local / 2).AppendLine("; s > 0; s >>= 1)\n        {");
            sb.Append("            if (lid < s) sh[lid] = ").Append(Combine("sh[lid]", "sh[lid + s]")).AppendLine(";");
            sb.AppendLine("            BARRIER();\n        }\n        if (lid == 0)\n        {");
            sb.Append("            red[red_off + ").Append(ks[j]).AppendLine("] = (float)sh[0];");
            sb.Append("            if (copy) dst[dst_off + ").Append(ks[j]).AppendLine("] = (float)sh[0];\n        }");
            // The next reduction reuses sh.
            sb.AppendLine("        BARRIER();\n    }");
        }
        sb.AppendLine("}");
    }

    /// <summary>Parameters every phase kernel of a variant shares, in the order the launcher passes them.</summary>
    private static void CommonParameters(StringBuilder sb, FusionGraph g, int rank)
    {
        var parts = new List<string>();
        for (int i = 0; i < g.InputNames.Length; i++) parts.Add($"GLOBAL const {StorageType(g.InputStorage[i])}* in{i}, LONG in{i}_off");
        if (g.ReductionNodes.Length > 0) parts.Add("GLOBAL const float* red, LONG red_off");
        for (int s = 0; s < g.ScalarNames.Length; s++) parts.Add($"float s{s}");
        parts.Add("LONG n");
        if (rank > 0)
        {
            parts.Add(string.Join(", ", Enumerable.Range(0, rank).Select(d => $"LONG d{d}")));
            for (int i = 0; i < g.InputNames.Length; i++)
                parts.Add(string.Join(", ", Enumerable.Range(0, rank).Select(d => $"LONG st{i}_{d}")));
        }
        for (int j = 0; j < g.ContractionNodes.Length; j++) parts.Add($"LONG ck{j}, LONG ca{j}, LONG cb{j}");
        sb.Append("\n    ").AppendJoin(",\n    ", parts);
    }

    /// <summary>Values fixed for the whole launch: reductions of earlier levels.</summary>
    private static void Hoisted(StringBuilder sb, FusionGraph g, bool[] needed, string indent)
    {
        for (int id = 0; id < g.Nodes.Length; id++)
            if (needed[id] && FxOpInfo.IsReduction(g.Nodes[id].Op))
                sb.Append(indent).Append("const float t").Append(id).Append(" = red[red_off + ").Append(g.Nodes[id].Index).AppendLine("];");
    }

    /// <summary>Statements computing every needed node at flat index i.</summary>
    private void Element(StringBuilder sb, FusionGraph g, bool[] needed, int[] scopes, int rank, string indent)
    {
        var inputs = Enumerable.Range(0, g.Nodes.Length).Where(id => needed[id] && g.Nodes[id].Op == FxOp.Input)
                               .Select(id => g.Nodes[id].Index).Distinct().ToArray();
        if (rank > 0 && inputs.Length > 0)
        {
            sb.Append(indent).Append("LONG rest = i");
            foreach (var k in inputs) sb.Append(", o").Append(k).Append(" = in").Append(k).Append("_off");
            sb.AppendLine(";");
            for (int d = rank - 1; d >= 0; d--)
            {
                sb.Append(indent).Append("{ LONG c = rest % d").Append(d).Append("; rest /= d").Append(d).Append(';');
                foreach (var k in inputs) sb.Append(" o").Append(k).Append(" += c * st").Append(k).Append('_').Append(d).Append(';');
                sb.AppendLine(" }");
            }
        }
        // A gate's term is computed inside an if on its coefficient, so a work-item whose coefficient is 0 reads none of
        // the term's inputs. The term's nodes precede the gate and nothing outside reads them: each is written into its
        // gate's block, which is emitted at the gate's own position.
        var blocks = Enumerable.Range(0, g.Nodes.Length).Where(id => needed[id] && scopes[id] >= 0).Select(id => scopes[id])
                               .Distinct().ToDictionary(gate => gate, _ => new StringBuilder());
        for (int id = 0; id < g.Nodes.Length; id++)
        {
            if (!needed[id]) continue;
            var n = g.Nodes[id];
            var (target, at) = scopes[id] >= 0 ? (blocks[scopes[id]], indent + "    ") : (sb, indent);
            if (n.Op == FxOp.Contract)
            {
                int a = g.Nodes[n.A].Index, b = g.Nodes[n.B].Index, j = n.Index;
                target.Append(at).Append("float t").Append(id).AppendLine(" = 0.0f;");
                target.Append(at).Append("for (LONG k = 0; k < ck").Append(j).Append("; ++k) t").Append(id).Append(" = FMA(in")
                  .Append(a).Append('[').Append(Position(a, rank)).Append(" + k * ca").Append(j).Append("], in")
                  .Append(b).Append('[').Append(Position(b, rank)).Append(" + k * cb").Append(j).Append("], t").Append(id).AppendLine(");");
                continue;
            }
            if (n.Op == FxOp.Gate && blocks.TryGetValue(id, out var term))
            {
                string c = Value(g, n.A);
                target.Append(at).Append("float t").Append(id).AppendLine(" = 0.0f;");
                target.Append(at).Append("if (").Append(c).AppendLine(" != 0.0f)").Append(at).AppendLine("{");
                target.Append(term);
                target.Append(at).Append("    t").Append(id).Append(" = ").Append(c).Append(" * ").Append(Value(g, n.B)).AppendLine(";");
                target.Append(at).AppendLine("}");
                continue;
            }
            string? code = n.Op switch
            {
                FxOp.Input when g.ContractedInputs[n.Index] => null,   // read only by its contraction
                FxOp.Input when g.InputStorage[n.Index] == DType.BFloat16 => $"engine_bf16_load(in{n.Index}[{Position(n.Index, rank)}])",
                FxOp.Input => $"in{n.Index}[{Position(n.Index, rank)}]",
                FxOp.Scalar or FxOp.Constant or FxOp.Sum or FxOp.MaxReduce => null,
                _ => Op(n.Op, Value(g, n.A), n.B >= 0 ? Value(g, n.B) : "", n.C >= 0 ? Value(g, n.C) : ""),
            };
            if (code is not null) target.Append(at).Append("const float t").Append(id).Append(" = ").Append(code).AppendLine(";");
        }
    }

    /// <summary>The prelude's element type of a buffer of <paramref name="storage"/>.</summary>
    private static string StorageType(DType storage) => storage == DType.BFloat16 ? "USHORT" : "float";

    /// <summary>Where input <paramref name="input"/> is read for the element: its strided offset, or flat.</summary>
    private static string Position(int input, int rank) => rank > 0 ? $"o{input}" : $"in{input}_off + i";

    /// <summary>How an operand is spelled: a temporary, a scalar parameter, or a literal.</summary>
    private string Value(FusionGraph g, int id)
    {
        var n = g.Nodes[id];
        return n.Op switch
        {
            FxOp.Scalar => $"s{n.Index}",
            FxOp.Constant => Literal(n.Value),
            _ => $"t{id}",
        };
    }

    protected virtual string Op(FxOp op, string a, string b, string c) => op switch
    {
        FxOp.Neg => $"-{a}",
        FxOp.Add => $"{a} + {b}",
        FxOp.Sub => $"{a} - {b}",
        FxOp.Mul => $"{a} * {b}",
        FxOp.Div => $"{a} / {b}",
        FxOp.Exp => $"EXPF({a})",
        FxOp.Log => $"LOGF({a})",
        FxOp.Sqrt => $"SQRTF({a})",
        FxOp.Rsqrt => $"RSQRTF({a})",
        FxOp.Tanh => $"TANHF({a})",
        FxOp.Abs => $"FABSF({a})",
        FxOp.Relu => $"FMAXF({a}, 0.0f)",
        FxOp.Sigmoid => $"1.0f / (1.0f + EXPF(-{a}))",
        FxOp.Gelu => $"0.5f * {a} * (1.0f + TANHF(0.7978845608f * ({a} + 0.044715f * {a} * {a} * {a})))",
        FxOp.Pow => $"POWF({a}, {b})",
        FxOp.Max => $"FMAXF({a}, {b})",
        FxOp.Min => $"FMINF({a}, {b})",
        FxOp.Greater => $"({a} > {b} ? 1.0f : 0.0f)",
        FxOp.Less => $"({a} < {b} ? 1.0f : 0.0f)",
        FxOp.Where => $"({a} != 0.0f ? {b} : {c})",
        FxOp.Fma => $"FMA({a}, {b}, {c})",
        FxOp.Gate => Op(FxOp.Where, a, $"{a} * {b}", "0.0f"),
        _ => throw new InvalidOperationException($"op {op} has no C spelling"),
    };

    private string Literal(float v)
    {
        if (float.IsPositiveInfinity(v)) return $"({Infinity})";
        if (float.IsNegativeInfinity(v)) return $"(-{Infinity})";
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        if (!s.Contains('.') && !s.Contains('E')) s += ".0";
        return v < 0 || s.StartsWith('-') ? $"({s}f)" : s + "f";
    }

    private static bool IsSum(FusionGraph g, int reduction) => g.Nodes[g.ReductionNodes[reduction]].Op == FxOp.Sum;
}

/// <summary>OpenCL C 1.2 spellings.</summary>
internal sealed class OpenClRenderer : CStyleRenderer
{
    public static readonly OpenClRenderer Instance = new();
    public override KernelDialect Dialect => KernelDialect.OpenCl;
    public override string Extension => ".cl";
}

/// <summary>CUDA C spellings (NVRTC at run time, clang-14 in CI).</summary>
internal sealed class CudaRenderer : CStyleRenderer
{
    public static readonly CudaRenderer Instance = new();
    public override KernelDialect Dialect => KernelDialect.Cuda;
    public override string Extension => ".cu";
}
