"""`minxin extract`: the click command of recognize/extract/cli.py as the minxin group runs it
(the group gives it the demo county as the default gazetteer)."""
import json

from click.testing import CliRunner

from webapp.cli import cli

TEXT = "今天上午到南荒沟村走访村民李树，他反映家里的井水发浑。我打算联系水务站化验。电话15904157788"


def test_extract_json_from_stdin():
    res = CliRunner().invoke(cli, ["extract", "--now", "2022-01-05T19:00:00", "--json"], input=TEXT)
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["visit_date"] == "2022-01-05"
    assert data["visit_time"] == "上午"
    assert data["place"] == "南荒沟村" and data["place_known"] is True
    assert data["interviewee"] == "李树"
    assert data["category"] == "饮水"
    assert set(data["pii"]) >= {"李树", "15904157788"}
    assert "南荒沟村" in res.output  # ensure_ascii=False
    assert data["evidence"]["problem"][1] <= len(TEXT)


def test_extract_human_output_and_bad_now():
    runner = CliRunner()
    res = runner.invoke(cli, ["extract", "--now", "2022-01-05T19:00:00"], input=TEXT)
    assert res.exit_code == 0 and "interviewee: 李树" in res.output
    bad = runner.invoke(cli, ["extract", "--now", "yesterday", "--json"], input=TEXT)
    assert bad.exit_code != 0 and "ISO" in bad.output


def test_extract_with_a_gazetteer_file(tmp_path):
    gz = tmp_path / "org.json"
    gz.write_text(json.dumps({"units": [["示例县", "county", None], ["北岔村", "village", "示例县"]],
                              "cadre_names": ["李树"]}, ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(cli, ["extract", "--now", "2022-01-05T19:00:00", "--json", "--gazetteer", str(gz)],
                             input="今天到北岔村走访村民李树和村民王玉兰，王玉兰反映没水吃")
    data = json.loads(res.output)
    assert data["place"] == "北岔村" and data["place_known"] is True
    assert data["interviewee"] == "王玉兰"  # the cadre is skipped
