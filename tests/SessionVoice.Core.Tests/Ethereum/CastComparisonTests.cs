using System.Globalization;
using System.Numerics;
using System.Text;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Ethereum;

/// <summary>
/// Our encoder and signer against Foundry's cast, byte for byte, over generated inputs. The seed is
/// fixed so a failure names an input that can be replayed.
/// </summary>
public class CastComparisonTests
{
    private const int Cases = 200;
    private static readonly string Escrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    private static string I(BigInteger v) => v.ToString(CultureInfo.InvariantCulture);

    private static string RandomMessage(Random random)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :-_.,!?é日本\u00fc";
        var sb = new StringBuilder("m:");
        var length = random.Next(0, 120);
        for (var i = 0; i < length; i++)
        {
            sb.Append(alphabet[random.Next(alphabet.Length)]);
        }
        return sb.ToString();
    }

    private static async Task ForEachCaseAsync(int seed, Func<Random, int, Task> check)
    {
        var inputs = Enumerable.Range(0, Cases).Select(i => (Random: new Random(seed * 1000 + i), Index: i));
        await Parallel.ForEachAsync(inputs, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (input, _) => await check(input.Random, input.Index));
    }

    [Fact]
    public async Task Personal_sign_equals_cast_wallet_sign()
    {
        await ForEachCaseAsync(1, async (random, i) =>
        {
            var key = GeneratedInputs.RandomKey(random);
            var message = RandomMessage(random);
            var ours = PersonalMessage.Sign(message, new PrivateKeySigner(key)).ToHex();
            var theirs = await Cast.RunAsync("wallet", "sign", "--private-key", Hex.Encode(key), message);
            Assert.True(theirs == ours, $"case {i}: message '{message}'");
            Assert.Equal(new PrivateKeySigner(key).Address, PersonalMessage.Recover(message, Hex.Decode(theirs)));
        });
    }

    [Fact]
    public async Task Attest_calldata_equals_cast_calldata()
    {
        await ForEachCaseAsync(2, async (random, i) =>
        {
            var id = new BookingId(GeneratedInputs.RandomUInt(random, random.Next(1, 33)));
            var outcome = (Outcome)random.Next(1, 4);
            var hashBytes = new byte[32];
            random.NextBytes(hashBytes);
            var hash = Hash32.FromBytes(hashBytes);
            var ours = Hex.Encode(EscrowAbi.AttestCall(id, outcome, hash));
            var theirs = await Cast.RunAsync("calldata", "attest(uint256,uint8,bytes32)", id.ToString(), ((byte)outcome).ToString(CultureInfo.InvariantCulture), hash.ToString());
            Assert.True(theirs == ours, $"case {i}: attest({id}, {outcome}, {hash})");
        });
    }

    [Fact]
    public async Task Getter_calldata_equals_cast_calldata()
    {
        await ForEachCaseAsync(3, async (random, i) =>
        {
            var id = new BookingId(GeneratedInputs.RandomUInt(random, random.Next(1, 33)));
            Assert.Equal(await Cast.RunAsync("calldata", "getBooking(uint256)", id.ToString()), Hex.Encode(EscrowAbi.GetBookingCall(id)));
            Assert.Equal(await Cast.RunAsync("calldata", "getSlot(uint256)", id.ToString()), Hex.Encode(EscrowAbi.GetSlotCall(id.Value)));
        });
    }

    [Fact]
    public async Task Legacy_raw_transactions_equal_cast_mktx()
    {
        ulong[] chains = [1, 6343, 31337, 4326];
        await ForEachCaseAsync(4, async (random, i) =>
        {
            var key = GeneratedInputs.RandomKey(random);
            var chainId = chains[random.Next(chains.Length)];
            var nonce = (ulong)random.NextInt64(0, 1L << 40);
            var gasLimit = (ulong)random.NextInt64(21_000, 30_000_000);
            var gasPrice = GeneratedInputs.RandomUInt(random, random.Next(1, 10));
            var id = new BookingId(GeneratedInputs.RandomUInt(random, random.Next(1, 33)));
            var outcome = (Outcome)random.Next(1, 4);
            var hash = Keccak256.Hash(BitConverter.GetBytes(i));
            var tx = new LegacyTransaction(chainId, nonce, gasPrice, gasLimit, Address.Parse(Escrow), 0, EscrowAbi.AttestCall(id, outcome, hash));
            var ours = tx.Sign(new PrivateKeySigner(key));
            var theirs = await Cast.RunAsync("mktx", "--private-key", Hex.Encode(key), "--chain", I(chainId), "--nonce", I(nonce), "--gas-limit", I(gasLimit),
                "--gas-price", I(gasPrice), "--legacy", Escrow, "attest(uint256,uint8,bytes32)", id.ToString(), I((byte)outcome), hash.ToString());
            Assert.True(theirs == ours.RawHex, $"case {i}: chain {chainId} nonce {nonce} gas {gasLimit} price {gasPrice}");
            Assert.Equal(Keccak256.Hash(Hex.Decode(theirs)), ours.Hash);
        });
    }

    [Fact]
    public async Task Eip1559_raw_transactions_equal_cast_mktx()
    {
        ulong[] chains = [1, 6343, 31337, 4326];
        await ForEachCaseAsync(5, async (random, i) =>
        {
            var key = GeneratedInputs.RandomKey(random);
            var chainId = chains[random.Next(chains.Length)];
            var nonce = (ulong)random.NextInt64(0, 1L << 40);
            var gasLimit = (ulong)random.NextInt64(21_000, 30_000_000);
            var maxFee = GeneratedInputs.RandomUInt(random, random.Next(1, 10)) + 1;
            var tip = random.Next(4) == 0 ? BigInteger.Zero : BigInteger.Remainder(GeneratedInputs.RandomUInt(random, 9), maxFee);
            var value = random.Next(3) == 0 ? GeneratedInputs.RandomUInt(random, 8) : BigInteger.Zero;
            var id = new BookingId(GeneratedInputs.RandomUInt(random, random.Next(1, 33)));
            var outcome = (Outcome)random.Next(1, 4);
            var hash = Keccak256.Hash(BitConverter.GetBytes(i + 1_000_000));
            var tx = new Eip1559Transaction(chainId, nonce, tip, maxFee, gasLimit, Address.Parse(Escrow), value, EscrowAbi.AttestCall(id, outcome, hash));
            var ours = tx.Sign(new PrivateKeySigner(key));
            var theirs = await Cast.RunAsync("mktx", "--private-key", Hex.Encode(key), "--chain", I(chainId), "--nonce", I(nonce), "--gas-limit", I(gasLimit),
                "--gas-price", I(maxFee), "--priority-gas-price", I(tip), "--value", I(value), Escrow, "attest(uint256,uint8,bytes32)", id.ToString(), I((byte)outcome), hash.ToString());
            Assert.True(theirs == ours.RawHex, $"case {i}: chain {chainId} nonce {nonce} gas {gasLimit} maxFee {maxFee} tip {tip} value {value}");
        });
    }

    [Fact]
    public async Task Checksummed_addresses_equal_cast()
    {
        await ForEachCaseAsync(6, async (random, i) =>
        {
            var bytes = new byte[20];
            random.NextBytes(bytes);
            var address = Address.FromBytes(bytes);
            Assert.Equal(await Cast.RunAsync("to-check-sum-address", address.ToString()), address.ToChecksumString());
        });
    }
}
