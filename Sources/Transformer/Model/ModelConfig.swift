import Foundation
import Mechanics

/// A Hugging Face `config.json`, read key by key with the defaults transformers uses, so that
/// each architecture states exactly which keys it reads. Errors name the file and the key.
public struct ConfigFile: @unchecked Sendable {
    public let url: URL
    public let values: [String: Any]

    public init(url: URL) throws {
        self.url = url
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelError.missingFile(url.deletingLastPathComponent(), "config.json", "every Hugging Face model folder has one")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.invalidConfig(url, "cannot be read: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw ModelError.invalidConfig(url, "is not a JSON object")
        }
        values = dict
    }

    public init(url: URL, values: [String: Any]) {
        self.url = url
        self.values = values
    }

    public var modelType: String? { values["model_type"] as? String }

    /// An integer value; `default` when absent or null.
    public func int(_ key: String, default value: Int? = nil) throws -> Int {
        try read(key, default: value) { v in
            switch JSONScalar(v) {
            case .int(let n): return n
            case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
            case .bool: throw ModelError.invalidConfig(url, "key \"\(key)\" must be an integer, found a boolean")
            default: throw ModelError.invalidConfig(url, "key \"\(key)\" must be an integer, found \(v)")
            }
        }
    }

    /// A positive integer (sizes and counts).
    public func positiveInt(_ key: String, default value: Int? = nil) throws -> Int {
        let n = try int(key, default: value)
        guard n > 0 else { throw ModelError.invalidConfig(url, "key \"\(key)\" must be positive, found \(n)") }
        return n
    }

    public func optionalInt(_ key: String) throws -> Int? {
        isAbsent(key) ? nil : try int(key)
    }

    public func double(_ key: String, default value: Double? = nil) throws -> Double {
        try read(key, default: value) { v in
            switch JSONScalar(v) {
            case .int(let n): return Double(n)
            case .double(let d): return d
            case .bool: throw ModelError.invalidConfig(url, "key \"\(key)\" must be a number, found a boolean")
            default: throw ModelError.invalidConfig(url, "key \"\(key)\" must be a number, found \(v)")
            }
        }
    }

    public func optionalDouble(_ key: String) throws -> Double? {
        isAbsent(key) ? nil : try double(key)
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        try read(key, default: value) { v in
            if case .bool(let b) = JSONScalar(v) { return b }
            throw ModelError.invalidConfig(url, "key \"\(key)\" must be true or false, found \(v)")
        }
    }

    public func string(_ key: String, default value: String? = nil) throws -> String {
        try read(key, default: value) { v in
            guard let s = v as? String else { throw ModelError.invalidConfig(url, "key \"\(key)\" must be a string, found \(v)") }
            return s
        }
    }

    /// Whether `key` is absent or null (both mean "use the default" in transformers' configs).
    private func isAbsent(_ key: String) -> Bool {
        values[key] == nil || values[key] is NSNull
    }

    /// The value at `key` read by `convert`; `value` when absent or null, and without one, an
    /// error naming the missing key.
    private func read<T>(_ key: String, default value: T?, _ convert: (Any) throws -> T) throws -> T {
        guard let v = values[key], !(v is NSNull) else {
            if let value { return value }
            throw ModelError.invalidConfig(url, "is missing the key \"\(key)\"")
        }
        return try convert(v)
    }

    /// The activation a key names.
    public func activation(_ key: String, default value: String) throws -> Activation {
        let name = try string(key, default: value)
        guard let act = Activation(configName: name) else {
            throw ModelError.invalidConfig(url, "key \"\(key)\" names the activation \"\(name)\", which is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, silu, relu)")
        }
        return act
    }

    /// Token ids such as `eos_token_id`, which may be one integer or a list.
    /// An id beyond 32 bits is dropped, not wrapped to a small id that some real token has.
    public func tokenIDs(_ key: String) -> [Int32] {
        func id(_ value: Any) -> Int32? {
            if case .int(let n) = JSONScalar(value) { return Int32(exactly: n) }
            return nil
        }
        switch values[key] {
        case let list as [Any]: return list.compactMap(id)
        case let v?: return id(v).map { [$0] } ?? []
        case nil: return []
        }
    }

    /// Rotary settings from either the current `rope_parameters` object or the older flat
    /// keys (`rope_theta`, `rotary_emb_base`, `rotary_pct`, `partial_rotary_factor`,
    /// `rope_scaling`), as transformers reads them. The base and the linear factor must be
    /// finite and positive (a base of 0 or below gives NaN angles); `partialKey` names the key the
    /// partial factor came from, for the caller's range check against the head size.
    public func rope(defaultBase: Double, baseKeys: [String], defaultPartial: Double = 1, partialKeys: [String] = []) throws
        -> (base: Double, partial: Double, partialKey: String, linearScaling: Double) {
        var base = defaultBase, partial = defaultPartial
        var baseKey = baseKeys.first ?? "rope_theta", partialKey = partialKeys.last ?? "partial_rotary_factor"
        for key in baseKeys { if let b = try optionalDouble(key) { base = b; baseKey = key } }
        for key in partialKeys { if let p = try optionalDouble(key) { partial = p; partialKey = key } }
        var scaling: [String: Any]? = values["rope_scaling"] as? [String: Any]
        var scalingKey = "rope_scaling"
        if let params = values["rope_parameters"] as? [String: Any] {
            if let b = try Self.number(params["rope_theta"], key: "rope_parameters.rope_theta", url: url) { base = b; baseKey = "rope_parameters.rope_theta" }
            if let p = try Self.number(params["partial_rotary_factor"], key: "rope_parameters.partial_rotary_factor", url: url) {
                partial = p
                partialKey = "rope_parameters.partial_rotary_factor"
            }
            scaling = params
            scalingKey = "rope_parameters"
        }
        var linear = 1.0
        if let scaling {
            let type = (scaling["rope_type"] as? String) ?? (scaling["type"] as? String) ?? "default"
            switch type {
            case "default": break
            case "linear":
                linear = try Self.number(scaling["factor"], key: scalingKey + ".factor", url: url) ?? 1
                _ = try Self.checkedPositiveFinite(linear, key: scalingKey + ".factor", url: url)
            default:
                throw ModelError.invalidConfig(url, "uses rope type \"\(type)\", which is not supported (supported: default, linear)")
            }
        }
        _ = try Self.checkedPositiveFinite(base, key: baseKey, url: url)
        return (base, partial, partialKey, linear)
    }

    /// A number inside a nested object (`rope_parameters`): nil when absent, an error naming
    /// the key when present but not a number.
    private static func number(_ value: Any?, key: String, url: URL) throws -> Double? {
        switch value.map(JSONScalar.init) {
        case nil: return nil
        case .int(let n)?: return Double(n)
        case .double(let d)?: return d
        default:
            if value is NSNull { return nil }
            throw ModelError.invalidConfig(url, "key \"\(key)\" must be a number, found \(value!)")
        }
    }
}

/// Errors from loading or running a model, worded for the user.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingFile(URL, String, String)
    case invalidConfig(URL, String)
    case unsupportedArchitecture(URL, String, [String])
    case input(String)

    public var description: String {
        switch self {
        case let .missingFile(folder, name, hint):
            return "\(folder.path): no \(name) (\(hint))"
        case let .invalidConfig(url, problem):
            return "\(url.path): \(problem)"
        case let .unsupportedArchitecture(url, type, supported):
            return "\(url.path): model_type \"\(type)\" is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .input(problem):
            return problem
        }
    }
}

/// A JSON scalar as Foundation's parser hands it over. On Linux every number arrives as an
/// NSNumber that also casts to Bool (0 and 1) and Int (2.0), so the type is read from the
/// number's own encoding instead of from casts.
enum JSONScalar {
    case bool(Bool), int(Int), double(Double), string(String), other

    init(_ value: Any) {
        if let n = value as? NSNumber {
            switch String(cString: n.objCType) {
            case "c", "B": self = .bool(n.boolValue)
            case "d", "f": self = .double(n.doubleValue)
            default: self = .int(n.intValue)
            }
        } else if let b = value as? Bool {
            self = .bool(b)
        } else if let s = value as? String {
            self = .string(s)
        } else {
            self = .other
        }
    }
}

extension ModelError: C2SError {
    public var exitCode: Int32 { 2 }
}
