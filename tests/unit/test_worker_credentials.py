"""The faust worker gets the same Kafka security settings as the confluent-kafka clients."""

import faust
from pydantic import SecretStr

from processors.app import broker_credentials, create_app
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


def test_app_uses_every_bootstrap_server(tmp_path):
    app = create_app(Settings(kafka_bootstrap="k1:9092,k2:9092", data_dir=tmp_path))
    assert [str(u) for u in app.conf.broker] == ["kafka://k1:9092", "kafka://k2:9092"]
