using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Tests.Processes;

public sealed class SecretRedactorTests
{
    [Fact]
    public void Named_secrets_are_masked_everywhere_they_appear()
    {
        var text = SecretRedactor.Redact("token=s3cr3t-value; again s3cr3t-value.", ["s3cr3t-value"]);

        Assert.Equal("token=[REDACTED]; again [REDACTED].", text);
    }

    [Fact]
    public void The_longer_of_two_overlapping_secrets_is_masked_whole()
    {
        var text = SecretRedactor.Redact("abcd-and-more", ["abcd", "abcd-and-more"]);

        Assert.Equal("[REDACTED]", text);
    }

    [Fact]
    public void Values_of_secret_environment_variables_are_masked()
    {
        var value = "amp-env-secret-" + Guid.NewGuid().ToString("N");
        var previous = Environment.GetEnvironmentVariable("AMP_API_KEY");
        Environment.SetEnvironmentVariable("AMP_API_KEY", value);
        try
        {
            Assert.Equal("key: [REDACTED]", SecretRedactor.Redact($"key: {value}"));
            Assert.Contains(value, SecretRedactor.SecretsFromEnvironment());
        }
        finally
        {
            Environment.SetEnvironmentVariable("AMP_API_KEY", previous);
        }
    }

    [Fact]
    public void The_environment_s_secrets_follow_every_change_between_two_reads()
    {
        // The answer for an unchanged environment is reused: a variable set, changed, renamed into a secret name,
        // given a URL password or removed between two reads must still show in the second.
        var name = "AMP_SESSIONS_TEST_" + Guid.NewGuid().ToString("N")[..8];
        var first = "first-secret-" + Guid.NewGuid().ToString("N");
        var second = "second-secret-" + Guid.NewGuid().ToString("N");
        try
        {
            Assert.DoesNotContain(first, SecretRedactor.SecretsFromEnvironment());
            Environment.SetEnvironmentVariable(name + "_TOKEN", first);
            Assert.Contains(first, SecretRedactor.SecretsFromEnvironment());
            Assert.Contains(first, SecretRedactor.SecretsFromEnvironment());
            Environment.SetEnvironmentVariable(name + "_TOKEN", second);
            var afterChange = SecretRedactor.SecretsFromEnvironment();
            Assert.Contains(second, afterChange);
            Assert.DoesNotContain(first, afterChange);
            Environment.SetEnvironmentVariable(name + "_TOKEN", null);
            Environment.SetEnvironmentVariable(name + "_PLAIN", first);
            Assert.DoesNotContain(first, SecretRedactor.SecretsFromEnvironment());
            Environment.SetEnvironmentVariable(name + "_PLAIN", $"postgres://user:{second}@db/app");
            Assert.Contains(second, SecretRedactor.SecretsFromEnvironment());
            Environment.SetEnvironmentVariable(name + "_PLAIN", null);
            Assert.DoesNotContain(second, SecretRedactor.SecretsFromEnvironment());
            Assert.Equal("x [REDACTED] y", SecretRedactor.Redact($"x {second} y", [second]));
            Assert.Equal($"x {second} y", SecretRedactor.Redact($"x {second} y"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name + "_TOKEN", null);
            Environment.SetEnvironmentVariable(name + "_PLAIN", null);
        }
    }

    [Theory]
    [InlineData("AMP_API_KEY", true)]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("db_password", true)]
    [InlineData("AWS_SECRET_ACCESS_KEY", true)]
    [InlineData("PATH", false)]
    [InlineData("HOME", false)]
    public void Secret_names_are_recognised(string name, bool secret) => Assert.Equal(secret, SecretRedactor.IsSecretName(name));

    [Theory]
    [InlineData("amp key sgamp_user_01HXYZabcdef0123456789 used", "amp key [REDACTED] used")]
    [InlineData("gh ghp_0123456789abcdefghijABCDEFGHIJklmnop end", "gh [REDACTED] end")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Authorization: Bearer [REDACTED]")]
    [InlineData("openai sk-proj0123456789abcdefXYZ", "openai [REDACTED]")]
    [InlineData("aws AKIAABCDEFGHIJKLMNOP", "aws [REDACTED]")]
    public void Token_shaped_strings_are_masked_without_being_named(string input, string expected) =>
        Assert.Equal(expected, SecretRedactor.Redact(input));

    [Fact]
    public void Ordinary_text_is_left_alone()
    {
        const string text = "Bearer of good news; git branch amp/fix-login/20250101-120000";

        Assert.Equal(text, SecretRedactor.Redact(text));
    }
}
