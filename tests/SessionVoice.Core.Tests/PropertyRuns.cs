using FsCheck;
using FsCheck.Fluent;

namespace SessionVoice.Core.Tests;

/// <summary>The one FsCheck runner of the property tests: throws on the first failing case, returns how many cases ran.</summary>
internal static class PropertyRuns
{
    public static int Run<T>(Gen<T> gen, int cases, Action<T> check)
    {
        var ran = 0;
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true),
            Prop.ForAll(Arb.From(gen), (T input) =>
            {
                Interlocked.Increment(ref ran);
                check(input);
            }));
        return ran;
    }
}
