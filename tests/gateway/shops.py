"""The contract's shop (two customers, one order each) as an adapter settings can name."""

from tests.assistants_contract.fakes import CONTRACT_SHOPS
from tests.support.shops import MemoryShopAdapter


class ContractShopAdapter(MemoryShopAdapter):
    def __init__(self) -> None:
        super().__init__(CONTRACT_SHOPS)
