"""The faust parse agent gets the same Kafka security settings and topology as the
confluent-kafka clients, and none of faust's own web pages."""

import faust
from pydantic import SecretStr

from processors.parse_agent import broker_credentials, create_app
from wirecore.settings import Settings


def test_plaintext_has_no_credentials():
    assert broker_credentials(Settings()) is None


def test_sasl_ssl_carries_user_password_and_tls():
    s = Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
                 kafka_sasl_username="ws", kafka_sasl_password=SecretStr("pw"))
    creds = broker_credentials(s)
    assert isinstance(creds, faust.SASLCredentials)
    assert (creds.username, creds.password, creds.mechanism.value) == ("ws", "pw", "SCRAM-SHA-512")
    assert creds.ssl_context is not None


def test_ssl_without_sasl_is_tls_only():
    creds = broker_credentials(Settings(kafka_security_protocol="SSL"))
    assert isinstance(creds, faust.SSLCredentials)


def test_app_settings_reach_faust(tmp_path):
    s = Settings(kafka_bootstrap="k1:9092,k2:9092", data_dir=tmp_path, http_host="0.0.0.0",
                 kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN",
                 kafka_sasl_username="ws", kafka_sasl_password=SecretStr("pw"))
    app = create_app(s)
    assert [str(u) for u in app.conf.broker] == ["kafka://k1:9092", "kafka://k2:9092"]
    assert app.conf.broker_credentials.username == "ws"
    assert app.conf.web_bind == "0.0.0.0" and not app.conf.web_enabled  # processors/web.py serves
    assert app.conf.broker_session_timeout <= 10  # a killed worker's partitions move fast
    assert app.conf.store.scheme == "memory"
    assert list(app.agents) == ["parse"]
    assert (tmp_path / "faust").is_dir()
