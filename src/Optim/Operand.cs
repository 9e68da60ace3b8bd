namespace Engine.Optim;

/// <summary>A buffer an optimizer pass reads or writes.</summary>
internal enum OperandKind
{
    /// <summary>Flat buffers of the store or the optimizer, bound at the segment the pass runs over.</summary>
    Param, Grad, Update, State,

    /// <summary>The update a step adds to p (before p + u is rounded), kept for the update alignment (<see cref="StepStatistics"/>).</summary>
    AppliedUpdate,

    /// <summary>||g||², the first result of phase R (broadcast).</summary>
    GradNormSquared,

    /// <summary>A device scalar a structured link owns (broadcast), named <see cref="Operand.Name"/>.</summary>
    LinkScalar,

    /// <summary>A flat buffer in the store's layout that a structured link owns (e.g. SGG's source gradient).</summary>
    LinkFlat,
}

/// <summary>
/// An operand of an optimizer pass; <see cref="Slot"/> is the state slot for <see cref="OperandKind.State"/> and the
/// link's position in its chain for the link kinds; <see cref="Group"/> is the optimizer group (chain) the slot or link
/// belongs to.
/// </summary>
internal readonly record struct Operand(OperandKind Kind, int Slot = -1, string? Name = null, int Group = 0)
{
    public static readonly Operand Param = new(OperandKind.Param);
    public static readonly Operand Grad = new(OperandKind.Grad);
    public static readonly Operand Update = new(OperandKind.Update);
    public static readonly Operand AppliedUpdate = new(OperandKind.AppliedUpdate);
    public static readonly Operand GradNormSquared = new(OperandKind.GradNormSquared);
    public static Operand State(int slot, int group = 0) => new(OperandKind.State, slot, Group: group);
    public static Operand LinkScalar(int link, string name, int group = 0) => new(OperandKind.LinkScalar, link, name, group);
    public static Operand LinkFlat(int link, string name, int group = 0) => new(OperandKind.LinkFlat, link, name, group);
}
