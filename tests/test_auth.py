def test_login_with_csrf_and_wrong_password(client, users, csrf_token):
    token = csrf_token()
    bad = client.post("/login", data={"login": "cadre_a", "password": "nope-nope", "csrf_token": token})
    assert bad.status_code == 401
    assert "用户名或密码错误" in bad.get_data(as_text=True)
    no_csrf = client.post("/login", data={"login": "cadre_a", "password": "correct-horse-42"})
    assert no_csrf.status_code == 400


def test_password_is_hashed_with_scrypt(users):
    assert users["cadre_a"].password_hash.startswith("scrypt:")


def test_deactivated_user_session_ends(app, client, users, login, session):
    from org.users import set_active

    login(users["cadre_a"])
    assert client.get("/").status_code == 302
    assert "/login" not in client.get("/").headers["Location"]
    set_active(session, users["cadre_a"], False, actor=users["admin"])
    session.commit()
    resp = client.get("/")
    assert resp.headers["Location"].endswith("/login"), resp.headers["Location"]


def test_login_page_is_chinese_first_and_english_on_request(client, users):
    assert "登录" in client.get("/login").get_data(as_text=True)
