//! Loading, validation and redaction of the configuration.

use super::*;
use figment::Jail;

fn load_in(jail: &Jail) -> Result<Config, ConfigError> {
    Config::from_figment(Config::figment(&jail.directory().join("config.toml")))
}

#[test]
fn defaults_are_development_on_sqlite() {
    Jail::expect_with(|jail| {
        let config = load_in(jail).expect("defaults are valid");
        assert_eq!(config.port, 8000);
        assert!(config.is_sqlite());
        assert_eq!(config.app_env, AppEnv::Development);
        assert_eq!(config.max_body_bytes, 65536);
        // The README's WebSocket clocks.
        assert_eq!(
            (
                config.ws_ping_secs,
                config.ws_session_recheck_secs,
                config.ws_send_timeout_secs
            ),
            (30, 30, 10)
        );
        Ok(())
    });
}

#[test]
fn the_connection_budget_defaults_by_backend() {
    Jail::expect_with(|jail| {
        assert_eq!(load_in(jail).expect("valid").max_connections(), 10);
        jail.set_env("DATABASE_URL", "postgres://db.example/app");
        assert_eq!(load_in(jail).expect("valid").max_connections(), 20);
        jail.set_env("DB_MAX_CONNECTIONS", "7");
        assert_eq!(load_in(jail).expect("valid").max_connections(), 7);
        Ok(())
    });
}

#[test]
fn environment_overrides_toml_which_overrides_defaults() {
    Jail::expect_with(|jail| {
        jail.create_file("config.toml", "port = 9000\nbcrypt_cost = 5\n")?;
        jail.set_env("PORT", "9100");
        let config = load_in(jail).expect("valid");
        assert_eq!(config.port, 9100);
        assert_eq!(config.bcrypt_cost, 5);
        Ok(())
    });
}

#[test]
fn numeric_looking_strings_stay_strings_and_empty_is_unset() {
    Jail::expect_with(|jail| {
        jail.set_env("ADMIN_EMAIL", "root@example.com");
        jail.set_env("ADMIN_PASSWORD", "12345678");
        jail.set_env("REDIS_URL", "");
        let config = load_in(jail).expect("valid");
        assert_eq!(config.admin_password.as_deref(), Some("12345678"));
        assert_eq!(config.redis_url, None);
        Ok(())
    });
}

#[test]
fn a_bad_value_names_its_key() {
    for (key, value) in [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("JWT_ALGORITHM", "RS256"),
        ("LOG_FORMAT", "xml"),
        ("BCRYPT_COST", "3"),
        ("SESSION_CACHE_SECS", "61"),
        ("DATABASE_URL", "mysql://x"),
        ("AUTO_MIGRATE", "maybe"),
        ("MAX_BODY_BYTES", "0"),
        ("DB_MAX_CONNECTIONS", "0"),
        ("MAIL_FROM", "not an address"),
        ("SMTP_URL", "smtp://"),
        ("WS_PING_SECS", "0"),
        ("WS_SEND_TIMEOUT_SECS", "0"),
    ] {
        Jail::expect_with(|jail| {
            jail.set_env(key, value);
            let err = load_in(jail).expect_err("must be refused");
            assert_eq!(err.key, key, "{key}={value}: {err}");
            Ok(())
        });
    }
}

#[test]
fn every_setting_is_read_from_the_environment() {
    let keys = Config::keys();
    assert_eq!(keys.len(), 39);
    for key in [
        "DATABASE_URL",
        "JWT_SECRET",
        "TRUSTED_PROXIES",
        "REDIS_PREFIX",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} is not read");
    }
    Jail::expect_with(|jail| {
        jail.set_env("KEEP_ALIVE_SECS", "7");
        jail.set_env("REDIS_PREFIX", "other");
        let config = load_in(jail).unwrap();
        assert_eq!(
            (config.keep_alive_secs, config.redis_prefix.as_str()),
            (7, "other")
        );
        Ok(())
    });
}

#[test]
fn debug_output_hides_secrets() {
    let config = Config {
        jwt_secret: Some("s3cret-signing-key".into()),
        admin_password: Some("hunter2hunter2".into()),
        database_url: "postgres://app:dbpass@db:5432/app".into(),
        redis_url: Some("redis://:redispass@cache:6379".into()),
        ..Config::default()
    };
    let shown = format!("{config:?}");
    for secret in [
        "s3cret-signing-key",
        "hunter2hunter2",
        "dbpass",
        "redispass",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    assert!(
        shown.contains("postgres://app:[redacted]@db:5432/app"),
        "{shown}"
    );
    assert!(
        shown.contains("port: Number(8000)") || shown.contains("port: 8000"),
        "{shown}"
    );
}

#[test]
fn trusted_proxies_are_addresses_or_ranges() {
    Jail::expect_with(|jail| {
        jail.set_env("TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.7 ,::1 ");
        let proxies = load_in(jail).unwrap().trusted_proxies().unwrap();
        let shown: Vec<String> = proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.168.1.7/32", "::1/128"]);
        jail.set_env("TRUSTED_PROXIES", "10.0.0.0/8, nginx");
        assert_eq!(load_in(jail).unwrap_err().key, "TRUSTED_PROXIES");
        Ok(())
    });
}

#[test]
fn production_needs_a_long_secret() {
    Jail::expect_with(|jail| {
        jail.set_env("APP_ENV", "production");
        assert_eq!(load_in(jail).unwrap_err().key, "JWT_SECRET");
        jail.set_env("JWT_SECRET", "short");
        assert_eq!(load_in(jail).unwrap_err().key, "JWT_SECRET");
        jail.set_env("JWT_SECRET", "x".repeat(32));
        assert!(load_in(jail).is_ok());
        Ok(())
    });
}

#[test]
fn a_short_secret_is_refused_in_every_mode() {
    Jail::expect_with(|jail| {
        jail.set_env("APP_ENV", "development");
        jail.set_env("JWT_SECRET", "x".repeat(31));
        let refused = load_in(jail).unwrap_err();
        assert_eq!(refused.key, "JWT_SECRET");
        assert!(refused.message.contains("32 bytes"), "{refused}");
        jail.set_env("JWT_SECRET", "x".repeat(32));
        assert!(load_in(jail).is_ok());
        Ok(())
    });
}

#[test]
fn production_refuses_cheap_hashes_and_guessable_admin_passwords() {
    Jail::expect_with(|jail| {
        jail.set_env("APP_ENV", "production");
        jail.set_env("JWT_SECRET", "x".repeat(32));
        jail.set_env("ADMIN_EMAIL", "admin@example.com");
        jail.set_env("BCRYPT_COST", "9");
        jail.set_env("ADMIN_PASSWORD", "a-long-private-passphrase");
        assert_eq!(load_in(jail).unwrap_err().key, "BCRYPT_COST");
        jail.set_env("BCRYPT_COST", "10");
        assert!(load_in(jail).is_ok());
        for weak in [
            "change-me-now",
            "Password123",
            "admin",
            "short-11chr",
            "123456789012",
        ] {
            jail.set_env("ADMIN_PASSWORD", weak);
            assert_eq!(load_in(jail).unwrap_err().key, "ADMIN_PASSWORD", "{weak}");
        }
        // Development lets a weak one through (a laptop, not a server).
        jail.set_env("APP_ENV", "development");
        jail.set_env("BCRYPT_COST", "4");
        jail.set_env("ADMIN_PASSWORD", "change-me-now");
        assert!(load_in(jail).is_ok());
        Ok(())
    });
}

#[test]
fn links_point_at_app_url_or_this_server() {
    Jail::expect_with(|jail| {
        jail.set_env("HOST", "127.0.0.1");
        jail.set_env("PORT", "9000");
        let config = load_in(jail).unwrap();
        assert_eq!(config.app_url(), "http://127.0.0.1:9000");
        assert_eq!(
            (
                config.password_reset_minutes,
                config.email_verification_hours
            ),
            (30, 48)
        );
        assert!(!config.require_verified_email);
        jail.set_env("APP_URL", "https://app.example.com/");
        assert_eq!(load_in(jail).unwrap().app_url(), "https://app.example.com");
        jail.set_env("APP_URL", "app.example.com");
        assert_eq!(load_in(jail).unwrap_err().key, "APP_URL");
        jail.set_env("APP_URL", "");
        jail.set_env("PASSWORD_RESET_MINUTES", "0");
        assert_eq!(load_in(jail).unwrap_err().key, "PASSWORD_RESET_MINUTES");
        Ok(())
    });
}
