using System.Text.Json.Serialization;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>
/// Compile-time JSON metadata for <see cref="AttestationTxRecordDto"/>, with the serializer's
/// default options (PascalCase names, as records written before it were): no reflection, so the
/// native (ahead-of-time) build reads and writes the same rows.
/// </summary>
[JsonSerializable(typeof(AttestationTxRecordDto))]
public sealed partial class AttestationTxJson : JsonSerializerContext;
