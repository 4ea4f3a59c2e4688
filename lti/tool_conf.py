"""pylti1p3's ToolConf over the database: registrations and deployments come from lti_ tables."""
from __future__ import annotations

from pylti1p3.deployment import Deployment as PyDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy.orm import Session

from lti import keys, registry
from lti.models import Platform


def registration_for(platform: Platform, signing: keys.SigningKey | None) -> Registration:
    """A pylti1p3 Registration for a stored platform, signed with the tool's current key."""
    reg = (Registration().set_issuer(platform.issuer).set_client_id(platform.client_id)
           .set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
           .set_key_set_url(platform.key_set_url).set_key_set(platform.jwks))
    if platform.auth_audience:
        reg.set_auth_audience(platform.auth_audience)
    if signing is not None:
        reg.set_tool_private_key(signing.private_pem).set_tool_public_key(signing.public_pem)
    return reg


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may have several client ids (Canvas), so lookups go by issuer + client_id."""

    def __init__(self, session: Session, *, login_client_id: str | None = None,
                 login_deployment_id: str | None = None):
        super().__init__()
        self.session = session
        self.platform: Platform | None = None
        # pylti1p3 asks for the same registration several times per message; one lookup serves all.
        self._registrations: dict[tuple[str, str | None], Registration] = {}
        # Login initiation may omit client_id; then the deployment id narrows the issuer down.
        self.login_client_id = login_client_id
        self.login_deployment_id = login_deployment_id

    def remember(self, platform: Platform) -> None:
        """A platform already loaded (the launch's login names it): later lookups need no query."""
        self.platform = platform
        self._registrations[(platform.issuer, platform.client_id)] = registration_for(platform, None)

    def check_iss_has_one_client(self, iss: str) -> bool:
        """Never: always look up by issuer and client_id."""
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        """Always."""
        return True

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration:
        """Only used by pylti1p3 for one-client issuers, which we never declare."""
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss: str, client_id: str | None, *args, **kwargs) -> Registration:
        """The registration of (iss, client_id); raises LtiError when it is unknown or ambiguous.

        Without the tool's key: login and launch only verify what the platform signed. What the
        tool signs (deep-linking responses, service tokens) builds its own registration_for."""
        wanted = (iss, client_id or self.login_client_id)
        if wanted not in self._registrations:
            platform = registry.resolve_platform(self.session, iss, wanted[1], self.login_deployment_id)
            self.platform = platform
            self._registrations[wanted] = registration_for(platform, None)
        return self._registrations[wanted]

    def find_deployment(self, iss: str, deployment_id: str):
        """Only for one-client issuers (unused)."""
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None, *args, **kwargs):
        """The deployment if this registration knows it, else None (the platform this message
        already looked up, with the deployments the launch loaded along with it, needs no query)."""
        if not client_id:
            return None
        known = self.platform
        platform = known if known is not None and (known.issuer, known.client_id) == (iss, client_id) \
            else registry.find_platform(self.session, iss, client_id)
        if platform is None or not any(d.deployment_id == deployment_id for d in platform.deployments):
            return None
        return PyDeployment().set_deployment_id(deployment_id)
