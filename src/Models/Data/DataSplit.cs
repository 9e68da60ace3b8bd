namespace Engine.Models.Data;

/// <summary>Which part of a <see cref="TokenDataset"/>: training text or held-out validation text.</summary>
public enum DataSplit
{
    Train,
    Val,
}
