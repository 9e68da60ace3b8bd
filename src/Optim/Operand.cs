namespace Engine.Optim;

/// <summary>A flat buffer an update pass reads or writes, in the segment the pass runs over.</summary>
internal enum OperandKind { Param, Grad, Update, GradNormSquared, State }

/// <summary>An operand of an update pass; <see cref="Slot"/> is the state slot for <see cref="OperandKind.State"/>.</summary>
internal readonly record struct Operand(OperandKind Kind, int Slot = -1)
{
    public static readonly Operand Param = new(OperandKind.Param);
    public static readonly Operand Grad = new(OperandKind.Grad);
    public static readonly Operand Update = new(OperandKind.Update);
    public static readonly Operand GradNormSquared = new(OperandKind.GradNormSquared);
    public static Operand State(int slot) => new(OperandKind.State, slot);
}
