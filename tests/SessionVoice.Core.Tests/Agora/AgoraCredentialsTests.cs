using SessionVoice.Core.Agora;

namespace SessionVoice.Core.Tests.Agora;

public class AgoraCredentialsTests
{
    private const string AppId = "970CA35de60c44645bbae8a215061b33";
    private const string Certificate = "5CFd2fd1755d40ecb72977518be15d3b";

    [Fact]
    public void Valid_pair_is_accepted_as_given()
    {
        Assert.True(AgoraCredentials.TryCreate(AppId, Certificate, out var creds, out var error));
        Assert.Null(error);
        Assert.Equal(AppId, creds!.AppId);
        Assert.Equal(Certificate, creds.AppCertificate);
    }

    [Theory]
    [InlineData(null, Certificate, "appId")]
    [InlineData("", Certificate, "appId")]
    [InlineData("970CA35de60c44645bbae8a215061b3", Certificate, "appId")]
    [InlineData("970CA35de60c44645bbae8a215061b333", Certificate, "appId")]
    [InlineData("970CA35de60c44645bbae8a215061b3g", Certificate, "appId")]
    [InlineData(AppId, null, "appCertificate")]
    [InlineData(AppId, "5CFd2fd1755d40ecb72977518be15d3", "appCertificate")]
    [InlineData(AppId, "5CFd2fd1755d40ecb72977518be15d3bb", "appCertificate")]
    [InlineData(AppId, "5CFd2fd1755d40ecb72977518be15d3z", "appCertificate")]
    [InlineData(AppId, " 5CFd2fd1755d40ecb72977518be15d3", "appCertificate")]
    public void Wrong_length_or_non_hex_is_refused_naming_the_field(string? appId, string? certificate, string field)
    {
        Assert.False(AgoraCredentials.TryCreate(appId, certificate, out var creds, out var error));
        Assert.Null(creds);
        Assert.StartsWith(field + " ", error, StringComparison.Ordinal);
        if (certificate is { Length: > 0 })
        {
            Assert.DoesNotContain(certificate, error, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Both_wrong_names_both()
    {
        Assert.False(AgoraCredentials.TryCreate("x", "y", out _, out var error));
        Assert.Contains("appId", error, StringComparison.Ordinal);
        Assert.Contains("appCertificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_and_with_refuse_invalid_values_without_echoing_them()
    {
        var bad = "not-a-certificate-not-a-cert-xyz";
        var ex = Assert.Throws<ArgumentException>(() => new AgoraCredentials(AppId, bad));
        Assert.DoesNotContain(bad, ex.Message, StringComparison.Ordinal);
        var creds = new AgoraCredentials(AppId, Certificate);
        Assert.Throws<ArgumentException>(() => creds with { AppCertificate = bad });
    }

    [Fact]
    public void ToString_has_no_certificate()
    {
        var text = new AgoraCredentials(AppId, Certificate).ToString();
        Assert.DoesNotContain(Certificate, text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(AppId, text, StringComparison.Ordinal);
    }
}
