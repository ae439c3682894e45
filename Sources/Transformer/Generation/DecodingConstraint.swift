/// Restricts which tokens generation may choose, step by step: before the logits processors
/// run, every token the constraint does not allow gets -inf, so greedy search and sampling
/// (with any top-k/top-p) both pick only allowed tokens.
public protocol DecodingConstraint: Sendable {
    /// Fresh state for one sequence, before its first generated token.
    func makeState() -> any DecodingConstraintState
}

/// One sequence's position within a constraint.
public protocol DecodingConstraintState: AnyObject {
    /// Sets the logit of every token not allowed next to -inf.
    func restrict(_ logits: UnsafeMutableBufferPointer<Float>)
    /// Records the token chosen (always one `restrict` allowed).
    func advance(_ token: Int32)
}
