namespace Engine.Kernels.Fusion;

/// <summary>
/// One node of a built program's graph. Operands are node ids, always smaller than the node's own id,
/// so the node array is in evaluation order. Index: input/scalar position, or reduction position.
/// </summary>
internal readonly record struct FusedNode(FxOp Op, int A, int B, int C, float Value, int Index)
{
    public int Operand(int k) => k switch { 0 => A, 1 => B, _ => C };
}
