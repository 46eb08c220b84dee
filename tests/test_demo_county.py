"""The demo county is defined once (ops/demo_county.toml); the demo, `minxin extract` and
both kinds of test fixtures read it."""
import pytest

from ops.demo_county import load, parse


def test_the_data_file_holds_the_demo_county():
    county = load()
    assert [u.name for u in county.units if u.level == "village"] == ["南荒沟村", "大古岭村", "步达远村", "石柱子村"]
    assert {u.name: u.parent for u in county.units}["石柱子村"] == "步达远镇"
    logins = [p.login for p in county.people]
    assert len(logins) == len(set(logins)) and {"cadre_nhg", "sup_glz", "admin_kd", "sup_bdy"} <= set(logins)
    assert county.person("sup_glz").unit == "古楼子乡"


@pytest.mark.parametrize("data, says", [
    ({"units": [{"name": "南荒沟村", "level": "village", "parent": "古楼子乡"},
                {"name": "古楼子乡", "level": "township"}]}, "parent 古楼子乡 is not listed before it"),
    ({"units": [{"name": "宽甸县", "level": "province"}]}, "unknown level 'province'"),
    ({"units": [{"name": "宽甸县", "level": "county"}],
      "people": [{"login": "x", "name": "某", "role": "cadre", "unit": "南荒沟村"}]}, "x: unknown unit 南荒沟村"),
    ({"units": [{"name": "宽甸县", "level": "county"}],
      "people": [{"login": "x", "name": "某", "role": "mayor", "unit": "宽甸县"}]}, "x: unknown role 'mayor'"),
])
def test_a_broken_county_is_refused_naming_the_entry(data, says):
    with pytest.raises(ValueError, match=says):
        parse(data)


def test_the_app_fixtures_and_the_county_fixture_hold_the_same_county(org, users, county):
    def tree(units):
        return sorted((u.name, u.level, u.parent.name if u.parent else None) for u in units.values())

    def people(by_login):
        return sorted((login, u.display_name, u.role, u.org_unit.name) for login, u in by_login.items())

    assert tree(org) == tree(county.units) == sorted(load().units)
    assert people(users) == people(county.users)
    assert len(users) == 6
