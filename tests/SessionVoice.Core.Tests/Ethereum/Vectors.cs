
namespace SessionVoice.Core.Tests.Ethereum;

/// <summary>Known-answer vectors produced with cast 1.7.1 against anvil's public keys.</summary>
internal static class Vectors
{
    public const string Key0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    public const string Address0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    public const string Key1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    public const string SeedMessage = "heaven-session:1700000000";
    public const string SeedMessageHash = "0xfa3df51fddf4d69a0fb0f64616642794bd54e07c3cc519eb78c6203cb9ac32e4";
    public const string SeedMessageSignature = "0xc4bf8b787da45c3c3a6ebba221a08fc842eea398c637f23e35fdd85cf10beafb07ffde66348722ebd31e61f13eb88efba909aaead86ad5328edc4583a69f13261b";
    public const string SeedMessageHighSTwin = "0xc4bf8b787da45c3c3a6ebba221a08fc842eea398c637f23e35fdd85cf10beafbf8002199cb78dd142ce19e0ec147710311a531fbd6ddcb0930f6190929972e1b1c";

    public const string SiweMessage =
        "example.com wants you to sign in with your Ethereum account:\n0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n\nSign in to Heaven.\n\n" +
        "URI: https://example.com/login\nVersion: 1\nChain ID: 6343\nNonce: abcdef1234567890\nIssued At: 2023-11-14T22:13:20Z\nExpiration Time: 2023-11-14T22:23:20Z";
    public const string SiweHash = "0xb1ada89d03d0c1590787ad4ed39d0a0e21ecf08b83f17933f5eca5a2e1b8780e";
    public const string SiweSignature = "0x4f91563072c2358a86f94c283df9462d96ab35643bac90a52d9ebb246f14461646df72c9ef752290f837d31625b5e2e45ccc2303e2299c00784579a6e9b6d1651c";

    public const string Escrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    public const string AttestData = "0x33fe248b000000000000000000000000000000000000000000000000000000000000002a00000000000000000000000000000000000000000000000000000000000000011111111111111111111111111111111111111111111111111111111111111111";

    public const string LegacyUnsigned = "0xf88a07830f4240830186a0945fbdb2315678afecb367f032d93f642f64180aa380b864" + AttestDataBare + "8218c78080";
    public const string LegacySighash = "0x3dc22b0a86fc6c8c354d7f93e78f5706f193989b281283705d2caca444526b75";
    public const string LegacyRaw = "0xf8ca07830f4240830186a0945fbdb2315678afecb367f032d93f642f64180aa380b864" + AttestDataBare +
        "8231b1a053946e7d074c772fca3972966c143a46d27e6d269ad9aaa5e1af85f118f58871a06c813f3fa2bfc97b66566ad75c4fa413428f1fed4e5dce04e88b695741767f9f";
    public const string LegacyHash = "0x644fa6a298dcf2c9b17c81f6ef94cbaef3b0a72f2ab2ac36073e8e5bfc351336";

    public const string Eip1559Unsigned = "0x02f88e8218c707830f42408477359400830186a0945fbdb2315678afecb367f032d93f642f64180aa380b864" + AttestDataBare + "c0";
    public const string Eip1559Sighash = "0x98102455a41100fb367ca3267ff0c093d90bd90930c9701000d9183fb08f2d7d";
    public const string Eip1559Raw = "0x02f8d18218c707830f42408477359400830186a0945fbdb2315678afecb367f032d93f642f64180aa380b864" + AttestDataBare +
        "c080a0537a91526085fc78328e4676970dc1ba58ef219192d2f1f80c599f5f8216ed73a075ee111f2e9960cbfe946a87c22f5e35afbc92202852bf5034b15b9291574d64";
    public const string Eip1559Hash = "0x8955b998874f53f4a4f4d3df0ab0ca0a7aacaf9ef3d92bf37c30be3069072893";

    private const string AttestDataBare = "33fe248b000000000000000000000000000000000000000000000000000000000000002a00000000000000000000000000000000000000000000000000000000000000011111111111111111111111111111111111111111111111111111111111111111";
}
